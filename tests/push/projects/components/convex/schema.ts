import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  counts: defineTable({ label: v.string() }),
  done: defineTable({ label: v.string() }),
});
