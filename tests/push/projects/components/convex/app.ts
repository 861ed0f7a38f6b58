import { v } from "convex/values";
import { action, mutation, query } from "./_generated/server";
import { components } from "./_generated/api";
import { ShardedCounter } from "@convex-dev/sharded-counter";
import { RateLimiter, MINUTE } from "@convex-dev/rate-limiter";

const counter = new ShardedCounter(components.shardedCounter, { defaultShards: 4 });
const rateLimiter = new RateLimiter(components.rateLimiter, {
  send: { kind: "fixed window", rate: 2, period: MINUTE },
});

export const bump = mutation({
  args: { name: v.string(), by: v.number() },
  handler: async (ctx, { name, by }) => {
    await ctx.db.insert("counts", { label: name });
    return await ctx.runMutation(components.tally.counts.add, { name, by });
  },
});

export const bumpOther = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) =>
    await ctx.runMutation(components.otherTally.counts.add, { name, by: 100 }),
});

export const tally = query({
  args: { name: v.string() },
  handler: async (ctx, { name }) => ({
    tally: await ctx.runQuery(components.tally.counts.get, { name }),
    other: await ctx.runQuery(components.otherTally.counts.get, { name }),
    appRows: (await ctx.db.query("counts").collect()).length,
  }),
});

// The component's write is rolled back with the caller's.
export const bumpThenFail = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    await ctx.db.insert("counts", { label: name });
    await ctx.runMutation(components.tally.counts.add, { name, by: 1 });
    throw new Error("app refused " + name);
  },
});

// The component's failure is caught; its writes are rolled back, the app's stay.
export const catchComponentFailure = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    await ctx.db.insert("counts", { label: name });
    try {
      await ctx.runMutation(components.tally.counts.addThenFail, { name });
    } catch (e: any) {
      return e.message;
    }
    return "no error";
  },
});

export const corruptTally = mutation({
  args: {},
  handler: async (ctx) => await ctx.runMutation(components.tally.counts.corrupt, {}),
});

export const missing = mutation({
  args: {},
  handler: async (ctx) =>
    await ctx.runMutation((components.tally as any).counts.nope, {}),
});

export const tallyFromAction = action({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    await ctx.runMutation(components.tally.counts.add, { name, by: 5 });
    return await ctx.runQuery(components.tally.counts.get, { name });
  },
});

export const count = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    await counter.add(ctx, name, 3);
    return await counter.count(ctx, name);
  },
});

export const counted = query({
  args: { name: v.string() },
  handler: async (ctx, { name }) => await counter.count(ctx, name),
});

export const limited = mutation({
  args: {},
  handler: async (ctx) => await rateLimiter.limit(ctx, "send"),
});
