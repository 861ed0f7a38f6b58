import { v } from "convex/values";
import { action, internalAction, internalMutation, mutation, query } from "./_generated/server";
import { internal } from "./_generated/api";

// Each run of `record` inserts one row: a key that ran twice shows up twice.
export const record = internalMutation({
  args: { key: v.string() },
  handler: async (ctx, { key }) => {
    await ctx.db.insert("runs", { key });
  },
});

export const fail = internalMutation({
  args: {},
  handler: async () => {
    throw new Error("scheduled failure");
  },
});

// An action that records its start, waits, then records its end.
export const slow = internalAction({
  args: { key: v.string(), ms: v.number() },
  handler: async (ctx, { key, ms }) => {
    await ctx.runMutation(internal.jobs.record, { key: `${key}:start` });
    await new Promise((resolve) => setTimeout(resolve, ms));
    await ctx.runMutation(internal.jobs.record, { key: `${key}:end` });
  },
});

export const schedule = mutation({
  args: { keys: v.array(v.string()), delayMs: v.number(), fail: v.optional(v.boolean()) },
  handler: async (ctx, { keys, delayMs, fail }) => {
    const ids = [];
    for (const key of keys) {
      ids.push(await ctx.scheduler.runAfter(delayMs, internal.jobs.record, { key }));
    }
    if (fail) throw new Error("mutation failed after scheduling");
    return ids;
  },
});

export const scheduleSlow = mutation({
  args: { keys: v.array(v.string()), delayMs: v.number(), ms: v.number() },
  handler: async (ctx, { keys, delayMs, ms }) => {
    for (const key of keys) {
      await ctx.scheduler.runAfter(delayMs, internal.jobs.slow, { key, ms });
    }
  },
});

export const scheduleAt = mutation({
  args: { key: v.string(), at: v.number() },
  handler: async (ctx, { key, at }) => {
    return await ctx.scheduler.runAt(new Date(at), internal.jobs.record, { key });
  },
});

export const scheduleFailure = mutation({
  args: {},
  handler: async (ctx) => {
    return await ctx.scheduler.runAfter(0, internal.jobs.fail, {});
  },
});

export const cancel = mutation({
  args: { id: v.id("_scheduled_functions") },
  handler: async (ctx, { id }) => {
    await ctx.scheduler.cancel(id);
  },
});

export const fromAction = action({
  args: { key: v.string() },
  handler: async (ctx, { key }) => {
    const id = await ctx.scheduler.runAfter(0, internal.jobs.record, { key });
    const later = await ctx.scheduler.runAfter(60_000, internal.jobs.record, { key: `${key}:later` });
    await ctx.scheduler.cancel(later);
    return id;
  },
});

export const runs = query({
  args: {},
  handler: async (ctx) => {
    const rows = await ctx.db.query("runs").collect();
    return rows.map((row) => row.key).sort();
  },
});

export const scheduled = query({
  args: {},
  handler: async (ctx) => {
    const jobs = await ctx.db.system.query("_scheduled_functions").collect();
    return jobs.map(({ name, args, state, scheduledTime, completedTime }) => ({
      name, args, state, scheduledTime, completed: completedTime !== undefined,
    }));
  },
});

export const job = query({
  args: { id: v.id("_scheduled_functions") },
  handler: async (ctx, { id }) => {
    return await ctx.db.system.get(id);
  },
});
