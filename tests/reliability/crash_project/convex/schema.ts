import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

const pair = { token: v.string(), writer: v.string(), seq: v.number(), value: v.number() };

export default defineSchema({
  // `write` inserts one document in each of `left` and `right` and bumps its writer's
  // counter, in one transaction: a crash must leave all three changes or none.
  left: defineTable(pair).index("by_token", ["token"]).index("by_writer", ["writer", "seq"]),
  right: defineTable(pair).index("by_token", ["token"]).index("by_value", ["value"]),
  counters: defineTable({ writer: v.string(), n: v.number() }).index("by_writer", ["writer"]),
  // `schedule` inserts a job and schedules `ran`, which inserts a run (twice if it ran twice).
  jobs: defineTable({ token: v.string() }).index("by_token", ["token"]),
  runs: defineTable({ token: v.string() }).index("by_token", ["token"]),
  // Replaced whole by snapshot imports: every document of one import carries its batch.
  imported: defineTable({ batch: v.number(), n: v.number() }).index("by_batch", ["batch", "n"]),
});
