// The component's functions, called from the app.
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { components } from "./_generated/api";

export const get = query({
  args: { name: v.string() },
  handler: async (ctx, args) => await ctx.runQuery(components.counter.lib.get, args),
});

export const add = mutation({
  args: { name: v.string() },
  handler: async (ctx, args) => await ctx.runMutation(components.counter.lib.add, args),
});
