import { v } from "convex/values";
import { env, internalMutation, mutation, query } from "./_generated/server";

export const add = mutation({
  args: { name: v.string(), by: v.number() },
  returns: v.number(),
  handler: async (ctx, { name, by }) => {
    const row = await ctx.db
      .query("counts")
      .withIndex("by_name", (q) => q.eq("name", name))
      .unique();
    if (row === null) {
      await ctx.db.insert("counts", { name, value: by });
      return by;
    }
    await ctx.db.patch(row._id, { value: row.value + by });
    return row.value + by;
  },
});

export const get = query({
  args: { name: v.string() },
  returns: v.number(),
  handler: async (ctx, { name }) => {
    const row = await ctx.db
      .query("counts")
      .withIndex("by_name", (q) => q.eq("name", name))
      .unique();
    return row?.value ?? 0;
  },
});

export const all = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("counts").collect()).map((r) => r.name),
});

// Writes a document the component's schema refuses.
export const corrupt = mutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("counts", { name: "bad", value: "not a number" } as any);
  },
});

export const addThenFail = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    await ctx.db.insert("counts", { name, value: 1 });
    throw new Error("tally refused " + name);
  },
});

// What the app passed in `app.use(tally, { env })`.
export const greeting = query({
  args: {},
  handler: async () => env.GREETING ?? null,
});

export const tick = internalMutation({
  args: {},
  handler: async (ctx) => {
    const row = await ctx.db
      .query("counts")
      .withIndex("by_name", (q) => q.eq("name", "ticks"))
      .unique();
    if (row === null) await ctx.db.insert("counts", { name: "ticks", value: 1 });
    else await ctx.db.patch(row._id, { value: row.value + 1 });
  },
});
