import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  messages: defineTable({
    author: v.string(),
    body: v.string(),
    digest: v.optional(v.string()),
    file: v.optional(v.id("_storage")),
    processedBy: v.optional(v.string()),
  }).index("by_author", ["author"]),
  heartbeats: defineTable({ name: v.string(), beats: v.number() }).index("by_name", ["name"]),
});
