import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

export const send = mutation({
  args: { body: v.string(), channel: v.string() },
  handler: (ctx, args) => ctx.db.insert("messages", args),
});

export const sendMany = mutation({
  args: { bodies: v.array(v.string()), channel: v.string() },
  handler: async (ctx, { bodies, channel }) => {
    for (const body of bodies) await ctx.db.insert("messages", { body, channel });
  },
});

export const search = query({
  args: { text: v.string(), channel: v.optional(v.string()), n: v.optional(v.number()) },
  handler: async (ctx, { text, channel, n }) => {
    const found = await ctx.db
      .query("messages")
      .withSearchIndex("search_body", (q) =>
        channel === undefined ? q.search("body", text) : q.search("body", text).eq("channel", channel),
      )
      .take(n ?? 10);
    return found.map((m) => m.body);
  },
});

export const page = query({
  args: { text: v.string(), paginationOpts: paginationOptsValidator },
  handler: (ctx, { text, paginationOpts }) =>
    ctx.db
      .query("messages")
      .withSearchIndex("search_body", (q) => q.search("body", text))
      .paginate(paginationOpts),
});

export const descending = query({
  args: {},
  handler: (ctx) =>
    ctx.db
      .query("messages")
      .withSearchIndex("search_body", (q) => q.search("body", "x"))
      .order("desc" as never)
      .collect(),
});

export const wrongField = query({
  args: {},
  handler: (ctx) =>
    ctx.db
      .query("messages")
      .withSearchIndex("search_body", (q) => q.search("channel" as never, "x"))
      .collect(),
});

export const sendAndFind = mutation({
  args: { body: v.string() },
  handler: async (ctx, { body }) => {
    await ctx.db.insert("messages", { body, channel: "#own" });
    const found = await ctx.db
      .query("messages")
      .withSearchIndex("search_body", (q) => q.search("body", body).eq("channel", "#own"))
      .collect();
    return found.map((m) => m.body);
  },
});
