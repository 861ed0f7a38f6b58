import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// The TypeScript twin of `schema` in benches/pb_app.py (bench_pocketbase.py --js).
export default defineSchema({
  items: defineTable({ n: v.number(), s: v.string() }),
  subs: defineTable({ key: v.string(), s: v.string() }).index("by_key", ["key"]),
});
