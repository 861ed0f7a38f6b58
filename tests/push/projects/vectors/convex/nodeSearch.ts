"use node";
import { v } from "convex/values";
import { action } from "./_generated/server";

export const similar = action({
  args: { vector: v.array(v.float64()), genre: v.string() },
  handler: (ctx, { vector, genre }) =>
    ctx.vectorSearch("songs", "by_embedding", { vector, filter: (q) => q.eq("genre", genre) }),
});
