import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

// Each function has a Python twin of the same name in benches/bench_js.py.

export const noop = query({
  args: {},
  handler: async () => null,
});

export const get = query({
  args: { id: v.id("items") },
  handler: async (ctx, { id }) => {
    return await ctx.db.get(id);
  },
});

export const recent = query({
  args: { group: v.string() },
  handler: async (ctx, { group }) => {
    return await ctx.db
      .query("items")
      .withIndex("by_group", (q) => q.eq("group", group))
      .order("desc")
      .take(10);
  },
});

export const scan = query({
  args: {},
  handler: async (ctx) => {
    const docs = await ctx.db.query("bulk").collect();
    let sum = 0;
    for (const doc of docs) sum += doc.n;
    return { count: docs.length, sum };
  },
});

export const add = mutation({
  args: { group: v.string(), n: v.number(), body: v.string() },
  handler: async (ctx, args) => {
    return await ctx.db.insert("items", args);
  },
});

// get + query + insert + patch + patch + delete
export const six = mutation({
  args: { id: v.id("items"), group: v.string() },
  handler: async (ctx, { id, group }) => {
    const doc = await ctx.db.get(id);
    if (doc === null) throw new Error(`no item ${id}`);
    const first = await ctx.db
      .query("items")
      .withIndex("by_group", (q) => q.eq("group", group))
      .first();
    const scratch = await ctx.db.insert("items", { group: "scratch", n: doc.n, body: doc.body });
    await ctx.db.patch(id, { n: doc.n + 1 });
    await ctx.db.patch(scratch, { body: first === null ? "none" : first.body });
    await ctx.db.delete(scratch);
    return doc.n + 1;
  },
});

export const seedItems = mutation({
  args: { groups: v.array(v.string()), perGroup: v.number() },
  handler: async (ctx, { groups, perGroup }) => {
    const ids = [];
    for (const group of groups) {
      for (let n = 0; n < perGroup; n++) {
        ids.push(await ctx.db.insert("items", { group, n, body: `${group} item ${n}` }));
      }
    }
    return ids;
  },
});

export const seedBulk = mutation({
  args: { count: v.number() },
  handler: async (ctx, { count }) => {
    for (let n = 0; n < count; n++) {
      await ctx.db.insert("bulk", { n, body: `bulk document number ${n}` });
    }
    return count;
  },
});
