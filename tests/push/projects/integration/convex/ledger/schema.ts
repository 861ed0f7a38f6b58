import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  entries: defineTable({ account: v.string(), amount: v.number(), memo: v.string() }).index(
    "by_account",
    ["account"],
  ),
});
