import { internalQuery, query } from "./_generated/server";
import { v } from "convex/values";
import { normalize, tally } from "./lib/tally";

export const count = internalQuery({
  args: {},
  returns: v.number(),
  handler: async (ctx) => (await ctx.db.query("notes").collect()).length,
});

export const echo = query({
  args: { text: v.string(), times: v.optional(v.number()) },
  handler: async (_ctx, { text, times }) => normalize(text).repeat(times ?? 1),
});

export function currentTally(): number {
  return tally;
}

export default echo;
