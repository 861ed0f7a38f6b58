import { v } from "convex/values";
import { action, mutation, query } from "./_generated/server";

export const add = mutation({
  args: { embedding: v.array(v.float64()), genre: v.string(), year: v.optional(v.number()) },
  handler: (ctx, args) => ctx.db.insert("songs", args),
});

export const remove = mutation({
  args: { id: v.id("songs") },
  handler: (ctx, { id }) => ctx.db.delete(id),
});

export const get = query({
  args: { id: v.id("songs") },
  handler: (ctx, { id }) => ctx.db.get(id),
});

// `filter` picks how the action filters: genres (q.or of q.eq), a field that is not a
// filter field, or a bare value (not a q.eq/q.or expression).
export const similar = action({
  args: {
    vector: v.array(v.float64()),
    limit: v.optional(v.number()),
    genres: v.optional(v.array(v.string())),
    year: v.optional(v.number()),
    filter: v.optional(v.string()),
    table: v.optional(v.string()),
    index: v.optional(v.string()),
  },
  handler: async (ctx, { vector, limit, genres, year, filter, table, index }) => {
    const filters: Record<string, any> = {
      genres: (q: any) =>
        q.or(
          ...(genres ?? []).map((g) => q.eq("genre", g)),
          ...(year === undefined ? [] : [q.eq("year", year)]),
        ),
      unindexed: (q: any) => q.eq("embedding", 1),
      bare: () => "rock",
    };
    return await ctx.vectorSearch((table ?? "songs") as any, (index ?? "by_embedding") as any, {
      vector,
      limit,
      filter: filter === undefined ? undefined : filters[filter],
    });
  },
});
