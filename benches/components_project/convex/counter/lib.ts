// The same functions as convex/direct.ts, in the component (see bench_components.py).
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

export const get = query({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    const row = await ctx.db.query("counts").withIndex("by_name", (q) => q.eq("name", name)).unique();
    return row?.value ?? 0;
  },
});

export const add = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    const row = await ctx.db.query("counts").withIndex("by_name", (q) => q.eq("name", name)).unique();
    if (row === null) await ctx.db.insert("counts", { name, value: 1 });
    else await ctx.db.patch(row._id, { value: row.value + 1 });
  },
});
