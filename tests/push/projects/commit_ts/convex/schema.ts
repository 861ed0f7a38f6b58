import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  stamps: defineTable({
    batch: v.string(),
    at: v.commitTs(),
    nested: v.optional(v.object({ list: v.array(v.commitTs()) })),
  })
    .index("by_at", ["at"])
    .index("by_batch", ["batch"]),
  plain: defineTable({ n: v.int64() }),
});
