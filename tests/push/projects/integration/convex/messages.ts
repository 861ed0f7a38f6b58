import { v } from "convex/values";
import { ShardedCounter } from "@convex-dev/sharded-counter";
import { Workpool } from "@convex-dev/workpool";
import {
  action,
  internalMutation,
  internalQuery,
  mutation,
  query,
} from "./_generated/server";
import { api, components, internal } from "./_generated/api";
import { VERSION } from "./version";

const counter = new ShardedCounter(components.shardedCounter, { defaultShards: 2 });
const pool = new Workpool(components.workpool, { maxParallelism: 2 });

export const send = mutation({
  args: { author: v.string(), body: v.string() },
  handler: async (ctx, { author, body }) => {
    const id = await ctx.db.insert("messages", { author, body });
    await ctx.runMutation(components.ledger.entries.add, { account: author, amount: 1, memo: body });
    await counter.add(ctx, "messages", 1);
    // Processed later, in Node.js.
    await ctx.scheduler.runAfter(0, internal.processing.digestMessage, { id });
    return id;
  },
});

// The same processing, run by the workpool component (from npm) through a function handle.
export const sendThroughPool = mutation({
  args: { author: v.string(), body: v.string() },
  handler: async (ctx, { author, body }) => {
    const id = await ctx.db.insert("messages", { author, body });
    await pool.enqueueAction(ctx, internal.processing.digestMessage, { id });
    return id;
  },
});

export const list = query({
  args: {},
  handler: async (ctx) => {
    const messages = await ctx.db.query("messages").order("asc").collect();
    return await Promise.all(
      messages.map(async (m) => ({
        author: m.author,
        body: m.body,
        digest: m.digest ?? null,
        processedBy: m.processedBy ?? null,
        url: m.file ? await ctx.storage.getUrl(m.file) : null,
      })),
    );
  },
});

export const stats = query({
  args: {},
  handler: async (ctx) => {
    const beat = await ctx.db
      .query("heartbeats")
      .withIndex("by_name", (q) => q.eq("name", "cron"))
      .unique();
    return {
      version: VERSION,
      messages: await counter.count(ctx, "messages"),
      beats: beat?.beats ?? 0,
    };
  },
});

// The live query of the test: reads only through the ledger component.
export const balance = query({
  args: { account: v.string() },
  handler: async (ctx, { account }) =>
    await ctx.runQuery(components.ledger.entries.balance, { account }),
});

export const credit = mutation({
  args: { account: v.string(), amount: v.number() },
  handler: async (ctx, { account, amount }) =>
    await ctx.runMutation(components.ledger.entries.add, { account, amount, memo: "credit" }),
});

export const report = action({
  args: { account: v.string() },
  handler: async (ctx, { account }) => {
    const stats = await ctx.runQuery(api.messages.stats, {});
    const total = await ctx.runMutation(components.ledger.entries.add, {
      account,
      amount: 100,
      memo: "report",
    });
    return { version: VERSION, messages: stats.messages, total };
  },
});

export const get = internalQuery({
  args: { id: v.id("messages") },
  handler: async (ctx, { id }) => await ctx.db.get(id),
});

export const attach = internalMutation({
  args: {
    id: v.id("messages"),
    digest: v.string(),
    file: v.id("_storage"),
    processedBy: v.string(),
  },
  handler: async (ctx, { id, ...fields }) => {
    await ctx.db.patch(id, fields);
  },
});

export const tick = internalMutation({
  args: {},
  handler: async (ctx) => {
    const beat = await ctx.db
      .query("heartbeats")
      .withIndex("by_name", (q) => q.eq("name", "cron"))
      .unique();
    if (beat === null) await ctx.db.insert("heartbeats", { name: "cron", beats: 1 });
    else await ctx.db.patch(beat._id, { beats: beat.beats + 1 });
  },
});
