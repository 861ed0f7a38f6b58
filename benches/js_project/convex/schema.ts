import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// Mirrored by `schema` in benches/bench_js.py (the Python twin).
export default defineSchema({
  items: defineTable({ group: v.string(), n: v.number(), body: v.string() }).index("by_group", [
    "group",
    "n",
  ]),
  bulk: defineTable({ n: v.number(), body: v.string() }),
});
