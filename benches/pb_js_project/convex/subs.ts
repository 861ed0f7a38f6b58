import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

// Twins of subs:bump and subs:byKey in benches/pb_app.py (the sessions phase).

export const bump = mutation({
  args: { key: v.string(), s: v.string() },
  handler: async (ctx, { key, s }) => await ctx.db.insert("subs", { key, s }),
});

// The newest document with this key (null before the first bump).
export const byKey = query({
  args: { key: v.string() },
  handler: async (ctx, { key }) =>
    await ctx.db
      .query("subs")
      .withIndex("by_key", (q) => q.eq("key", key))
      .order("desc")
      .first(),
});
