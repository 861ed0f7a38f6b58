import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// The app has a `notes` table with the same indexes: each namespace has its own.
export default defineSchema({
  notes: defineTable({ body: v.string(), shelf: v.string(), embedding: v.array(v.float64()) })
    .searchIndex("search_body", { searchField: "body", filterFields: ["shelf"] })
    .vectorIndex("by_embedding", { vectorField: "embedding", dimensions: 2, filterFields: ["shelf"] }),
});
