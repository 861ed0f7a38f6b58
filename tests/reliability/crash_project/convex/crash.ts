import { v } from "convex/values";
import { paginationOptsValidator } from "convex/server";
import { internal } from "./_generated/api";
import { internalMutation, mutation, query } from "./_generated/server";

// The harness rewrites this marker in the pushed bundle: a push changes what `version` says.
const VERSION = Number("crash-version:0".split(":")[1]);

export const version = query({ args: {}, handler: async () => VERSION });

async function bump(ctx: any, writer: string, by: number) {
  const counter = await ctx.db
    .query("counters")
    .withIndex("by_writer", (q: any) => q.eq("writer", writer))
    .unique();
  if (counter === null) await ctx.db.insert("counters", { writer, n: by });
  else await ctx.db.patch(counter._id, { n: counter.n + by });
}

export const write = mutation({
  args: { token: v.string(), writer: v.string(), seq: v.number(), value: v.number() },
  handler: async (ctx, pair) => {
    const id = await ctx.db.insert("left", pair);
    await ctx.db.insert("right", pair);
    await bump(ctx, pair.writer, 1);
    return (await ctx.db.get(id))!._creationTime;
  },
});

// Changes the value of an earlier pair on both sides (an index key moves in `right`).
export const update = mutation({
  args: { token: v.string(), value: v.number() },
  handler: async (ctx, { token, value }) => {
    for (const table of ["left", "right"] as const) {
      const doc = await ctx.db
        .query(table)
        .withIndex("by_token", (q) => q.eq("token", token))
        .unique();
      if (doc === null) throw new Error(`no ${table} ${token}`);
      await ctx.db.patch(doc._id, { value });
    }
  },
});

// Deletes an earlier pair on both sides and takes it off its writer's counter.
export const remove = mutation({
  args: { token: v.string() },
  handler: async (ctx, { token }) => {
    let writer = "";
    for (const table of ["left", "right"] as const) {
      const doc = await ctx.db
        .query(table)
        .withIndex("by_token", (q) => q.eq("token", token))
        .unique();
      if (doc === null) throw new Error(`no ${table} ${token}`);
      writer = doc.writer;
      await ctx.db.delete(doc._id);
    }
    await bump(ctx, writer, -1);
  },
});

export const schedule = mutation({
  args: { token: v.string(), delayMs: v.number() },
  handler: async (ctx, { token, delayMs }) => {
    await ctx.db.insert("jobs", { token });
    await ctx.scheduler.runAfter(delayMs, internal.crash.ran, { token });
  },
});

export const ran = internalMutation({
  args: { token: v.string() },
  handler: async (ctx, { token }) => {
    await ctx.db.insert("runs", { token });
  },
});

const TABLES = v.union(
  v.literal("left"),
  v.literal("right"),
  v.literal("counters"),
  v.literal("jobs"),
  v.literal("runs"),
  v.literal("imported"),
);

// One page of a table in `_id`-less scan order: the harness compares it with each index.
export const scan = query({
  args: { table: TABLES, paginationOpts: paginationOptsValidator },
  handler: async (ctx, { table, paginationOpts }) =>
    await ctx.db.query(table).paginate(paginationOpts),
});

// One page of an index, in the index's order.
export const scanIndex = query({
  args: { table: TABLES, index: v.string(), paginationOpts: paginationOptsValidator },
  handler: async (ctx, { table, index, paginationOpts }) =>
    await ctx.db
      .query(table)
      .withIndex(index as any)
      .paginate(paginationOpts),
});

// The documents an equality lookup on `by_token` finds (each token must find exactly one).
export const byToken = query({
  args: { table: TABLES, tokens: v.array(v.string()) },
  handler: async (ctx, { table, tokens }) => {
    const found: Record<string, number> = {};
    for (const token of tokens) {
      const docs = await ctx.db
        .query(table)
        .withIndex("by_token" as any, (q: any) => q.eq("token", token))
        .collect();
      found[token] = docs.length;
    }
    return found;
  },
});
