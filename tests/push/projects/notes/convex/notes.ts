import { v } from "convex/values";
import { action, mutation, query } from "./_generated/server";
import { api } from "./_generated/api";

export const list = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("notes").collect()).map((note) => note.body),
});

export const add = mutation({
  args: { body: v.string() },
  handler: async (ctx, { body }) => await ctx.db.insert("notes", { body }),
});

export const addTwice = action({
  args: { body: v.string() },
  handler: async (ctx, { body }) => {
    await ctx.runMutation(api.notes.add, { body });
    await ctx.runMutation(api.notes.add, { body });
    return await ctx.runQuery(api.notes.list, {});
  },
});
