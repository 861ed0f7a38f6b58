import { v } from "convex/values";
import { api } from "./_generated/api";
import { action, mutation, query } from "./_generated/server";

export const add = mutation({
  args: { body: v.string(), shelf: v.string(), embedding: v.array(v.float64()) },
  handler: (ctx, args) => ctx.db.insert("notes", args),
});

export const search = query({
  args: { text: v.string(), shelf: v.optional(v.string()), index: v.optional(v.string()) },
  handler: async (ctx, { text, shelf, index }) => {
    const found = await ctx.db
      .query("notes")
      .withSearchIndex((index ?? "search_body") as "search_body", (q) =>
        shelf === undefined ? q.search("body", text) : q.search("body", text).eq("shelf", shelf),
      )
      .take(10);
    return found.map((n) => n.body);
  },
});

export const similar = action({
  args: { vector: v.array(v.float64()), index: v.optional(v.string()) },
  handler: async (ctx, { vector, index }): Promise<string[]> => {
    const hits = await ctx.vectorSearch("notes", (index ?? "by_embedding") as "by_embedding", {
      vector,
      limit: 3,
    });
    const bodies: string[] = [];
    for (const hit of hits) {
      bodies.push(await ctx.runQuery(api.notes.body, { id: hit._id }));
    }
    return bodies;
  },
});

export const body = query({
  args: { id: v.id("notes") },
  handler: async (ctx, { id }) => (await ctx.db.get(id))?.body ?? "",
});
