import { v } from "convex/values";
import { action, mutation, query } from "./_generated/server";
import { api } from "./_generated/api";

export const add = mutation({
  args: { account: v.string(), amount: v.number(), memo: v.string() },
  returns: v.number(),
  handler: async (ctx, { account, amount, memo }) => {
    await ctx.db.insert("entries", { account, amount, memo });
    const rows = await ctx.db
      .query("entries")
      .withIndex("by_account", (q) => q.eq("account", account))
      .collect();
    return rows.reduce((sum, row) => sum + row.amount, 0);
  },
});

export const balance = query({
  args: { account: v.string() },
  returns: v.object({ total: v.number(), memos: v.array(v.string()) }),
  handler: async (ctx, { account }) => {
    const rows = await ctx.db
      .query("entries")
      .withIndex("by_account", (q) => q.eq("account", account))
      .collect();
    return {
      total: rows.reduce((sum, row) => sum + row.amount, 0),
      memos: rows.map((row) => row.memo),
    };
  },
});

// A component action: called from the app's Node.js action.
export const statement = action({
  args: { account: v.string() },
  handler: async (ctx, { account }): Promise<string> => {
    const { total, memos } = await ctx.runQuery(api.entries.balance, { account });
    return `${account}: ${total} (${memos.join(", ")})`;
  },
});
