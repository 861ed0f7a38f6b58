// The app's own functions through a nested call, as convex/via.ts calls the component's.
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { api } from "./_generated/api";

export const get = query({
  args: { name: v.string() },
  handler: async (ctx, args) => await ctx.runQuery(api.direct.get, args),
});

export const add = mutation({
  args: { name: v.string() },
  handler: async (ctx, args) => await ctx.runMutation(api.direct.add, args),
});
