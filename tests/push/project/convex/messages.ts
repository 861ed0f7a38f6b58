import { ConvexError, v } from "convex/values";
import { paginationOptsValidator } from "convex/server";
import { internalMutation, mutation, query } from "./_generated/server";
import { clean } from "./lib/text";

export const list = query({
  args: { channel: v.string() },
  handler: async (ctx, { channel }) => {
    return await ctx.db
      .query("messages")
      .withIndex("by_channel", (q) => q.eq("channel", channel))
      .order("asc")
      .collect();
  },
});

export const page = query({
  args: { channel: v.string(), paginationOpts: paginationOptsValidator },
  handler: async (ctx, { channel, paginationOpts }) => {
    return await ctx.db
      .query("messages")
      .withIndex("by_channel", (q) => q.eq("channel", channel))
      .paginate(paginationOpts);
  },
});

export const popular = query({
  args: { min: v.number() },
  handler: async (ctx, { min }) => {
    const found = [];
    for await (const message of ctx.db.query("messages").filter((q) => q.gte(q.field("likes"), min))) {
      found.push(message.body);
    }
    return found;
  },
});

export const send = mutation({
  args: { channel: v.string(), author: v.string(), body: v.string() },
  returns: v.id("messages"),
  handler: async (ctx, { channel, author, body }) => {
    const text = clean(body);
    if (text.length === 0) {
      throw new ConvexError({ code: "EMPTY", channel });
    }
    console.log("sending", { channel, author });
    return await ctx.db.insert("messages", { channel, author, body: text });
  },
});

export const like = mutation({
  args: { id: v.id("messages") },
  handler: async (ctx, { id }) => {
    const message = await ctx.db.get(id);
    if (message === null) throw new Error(`no message ${id}`);
    await ctx.db.patch(id, { likes: (message.likes ?? 0) + 1 });
    return (message.likes ?? 0) + 1;
  },
});

export const remove = internalMutation({
  args: { id: v.id("messages") },
  handler: async (ctx, { id }) => {
    await ctx.db.delete(id);
  },
});

export const first = query({
  args: { channel: v.string() },
  handler: async (ctx, { channel }) => {
    const one = await ctx.db
      .query("messages")
      .withIndex("by_channel", (q) => q.eq("channel", channel))
      .first();
    const normalized = one === null ? null : ctx.db.normalizeId("messages", one._id);
    return { body: one?.body ?? null, normalized };
  },
});
