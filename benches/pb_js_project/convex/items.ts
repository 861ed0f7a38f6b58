import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

// Twins of items:insert, items:get and items:latest in benches/pb_app.py.

export const insert = mutation({
  args: { n: v.number(), s: v.string() },
  handler: async (ctx, { n, s }) => await ctx.db.insert("items", { n, s }),
});

export const get = query({
  args: { id: v.id("items") },
  handler: async (ctx, { id }) => await ctx.db.get(id),
});

// The newest document: what a realtime subscriber watches.
export const latest = query({
  args: {},
  handler: async (ctx) => await ctx.db.query("items").order("desc").first(),
});
