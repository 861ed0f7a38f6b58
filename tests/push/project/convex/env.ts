import { action, mutation, query } from "./_generated/server";

// Read when the module is imported: by the push's analysis and before every run.
const atImport = process.env.GREETING ?? null;

export const read = query({
  args: {},
  handler: async () => ({
    greeting: process.env.GREETING ?? null,
    atImport,
    site: process.env.CONVEX_SITE_URL ?? null,
    keys: Object.keys(process.env),
  }),
});

export const untouched = query({ args: {}, handler: async () => "no variables read" });

export const greet = mutation({
  args: {},
  handler: async (ctx) => {
    const counters = await ctx.db.query("counters").collect();
    return `${process.env.GREETING ?? "nobody"} ${counters.length}`;
  },
});

export const inAction = action({ args: {}, handler: async () => process.env.GREETING ?? null });

// Exported only when FEATURE was "on" while the push analysed this module.
export const feature = process.env.FEATURE === "on" ? query({ args: {}, handler: async () => "on" }) : undefined;
