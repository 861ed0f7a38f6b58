import { mutation, query, internalMutation } from "./_generated/server";
import { v } from "convex/values";
import { bump, normalize, tally } from "./lib/tally";

export const list = query({
  args: { author: v.optional(v.string()) },
  handler: async (ctx, { author }) => {
    const notes = await ctx.db.query("notes").collect();
    return author === undefined ? notes : notes.filter((n) => n.author === author);
  },
});

export const add = mutation({
  args: { author: v.string(), body: v.string() },
  returns: v.id("notes"),
  handler: async (ctx, { author, body }) => {
    bump(1);
    return await ctx.db.insert("notes", { author, body: normalize(body), pinned: false });
  },
});

export const pin = internalMutation({
  args: { id: v.id("notes") },
  handler: async (ctx, { id }) => {
    await ctx.db.patch(id, { pinned: true });
  },
});

export { bump, tally };
