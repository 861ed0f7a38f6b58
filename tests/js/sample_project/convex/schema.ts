import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  notes: defineTable({ author: v.string(), body: v.string(), pinned: v.boolean() }).index(
    "by_author",
    ["author"],
  ),
});
