import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  notes: defineTable({
    text: v.string(),
    file: v.id("_storage"),
    stamped: v.boolean(),
  }).index("by_text", ["text"]),
});
