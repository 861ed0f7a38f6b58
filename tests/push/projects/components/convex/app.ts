import { v } from "convex/values";
import { createFunctionHandle } from "convex/server";
import { action, internalMutation, mutation, query } from "./_generated/server";
import { components, internal } from "./_generated/api";
import { Workpool } from "@convex-dev/workpool";
import { ShardedCounter } from "@convex-dev/sharded-counter";
import { RateLimiter, MINUTE } from "@convex-dev/rate-limiter";

const counter = new ShardedCounter(components.shardedCounter, { defaultShards: 4 });
const pool = new Workpool(components.workpool, { maxParallelism: 2 });
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

// Work the workpool component schedules and runs through a function handle of the app's.
export const work = internalMutation({
  args: { label: v.string() },
  handler: async (ctx, { label }) => {
    await ctx.db.insert("done", { label });
  },
});

export const enqueue = mutation({
  args: { labels: v.array(v.string()) },
  handler: async (ctx, { labels }) => {
    for (const label of labels) {
      await pool.enqueueMutation(ctx, internal.app.work, { label });
    }
  },
});

export const done = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("done").collect()).map((r) => r.label).sort(),
});

export const handle = mutation({
  args: {},
  handler: async (ctx) => {
    const handle = await createFunctionHandle(components.tally.counts.add);
    return await ctx.runMutation(handle, { name: "handled", by: 7 });
  },
});

export const greetings = query({
  args: {},
  handler: async (ctx) => [
    await ctx.runQuery(components.tally.counts.greeting, {}),
    await ctx.runQuery(components.otherTally.counts.greeting, {}),
  ],
});

// `tick` is an internal function of tally: not exported to the app.
export const callInternal = mutation({
  args: {},
  handler: async (ctx) => await ctx.runMutation((components.tally.counts as any).tick, {}),
});

export const callInternalFromAction = action({
  args: {},
  handler: async (ctx) => await ctx.runMutation((components.tally.counts as any).tick, {}),
});
