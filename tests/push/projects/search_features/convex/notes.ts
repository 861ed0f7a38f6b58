import { v } from "convex/values";
import { components } from "./_generated/api";
import { action, mutation, query } from "./_generated/server";

const note = { body: v.string(), shelf: v.string(), embedding: v.array(v.float64()) };

export const add = mutation({
  args: note,
  handler: (ctx, args) => ctx.db.insert("notes", args),
});

export const remove = mutation({
  args: { id: v.id("notes") },
  handler: (ctx, { id }) => ctx.db.delete(id),
});

export const search = query({
  args: { text: v.string(), index: v.optional(v.string()) },
  handler: async (ctx, { text, index }) => {
    const found = await ctx.db
      .query("notes")
      .withSearchIndex((index ?? "search_body") as "search_body", (q) => q.search("body", text))
      .take(10);
    return found.map((n) => n.body);
  },
});

export const similar = action({
  args: { vector: v.array(v.float64()), index: v.optional(v.string()) },
  handler: async (ctx, { vector, index }) =>
    await ctx.vectorSearch("notes", (index ?? "by_embedding") as "by_embedding", { vector }),
});

// The library component's notes, through its functions.
export const addToLibrary = mutation({
  args: note,
  handler: async (ctx, args): Promise<string> =>
    await ctx.runMutation(components.library.notes.add, args),
});

export const searchLibrary = query({
  args: { text: v.string(), shelf: v.optional(v.string()), index: v.optional(v.string()) },
  handler: async (ctx, args): Promise<string[]> =>
    await ctx.runQuery(components.library.notes.search, args),
});

export const similarInLibrary = action({
  args: { vector: v.array(v.float64()), index: v.optional(v.string()) },
  handler: async (ctx, args): Promise<string[]> =>
    await ctx.runAction(components.library.notes.similar, args),
});
