import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  messages: defineTable({
    channel: v.string(),
    author: v.string(),
    body: v.string(),
    likes: v.optional(v.number()),
  }).index("by_channel", ["channel"]),
  counters: defineTable({ name: v.string(), value: v.int64() }).index("by_name", ["name"]),
  blobs: defineTable({ data: v.bytes() }),
});
