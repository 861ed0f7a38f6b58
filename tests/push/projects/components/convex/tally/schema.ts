import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// The app has a table named `counts` too: each namespace has its own.
export default defineSchema({
  counts: defineTable({ name: v.string(), value: v.number() }).index("by_name", ["name"]),
});
