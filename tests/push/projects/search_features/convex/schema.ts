import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  notes: defineTable({ body: v.string(), shelf: v.string(), embedding: v.array(v.float64()) })
    .searchIndex("search_body", { searchField: "body", filterFields: ["shelf"] })
    .searchIndex("staged_body", { searchField: "body", staged: true })
    .vectorIndex("by_embedding", { vectorField: "embedding", dimensions: 2, filterFields: ["shelf"] })
    .vectorIndex("staged_embedding", { vectorField: "embedding", dimensions: 2, staged: true }),
});
