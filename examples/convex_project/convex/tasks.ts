import { ConvexError, v } from "convex/values";
import { action, internalQuery, mutation, query } from "./_generated/server";
import { api, internal } from "./_generated/api";

async function owner(ctx: { auth: { getUserIdentity(): Promise<{ subject: string } | null> } }) {
  const identity = await ctx.auth.getUserIdentity();
  if (identity === null) throw new ConvexError({ code: "UNAUTHENTICATED" });
  return identity.subject;
}

export const add = mutation({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    if (text.trim() === "") throw new ConvexError({ code: "EMPTY" });
    return await ctx.db.insert("tasks", { text: text.trim(), done: false, owner: await owner(ctx) });
  },
});

export const complete = mutation({
  args: { id: v.id("tasks") },
  handler: async (ctx, { id }) => {
    await ctx.db.patch(id, { done: true });
  },
});

export const mine = query({
  args: {},
  handler: async (ctx) => {
    const me = await owner(ctx);
    return await ctx.db
      .query("tasks")
      .withIndex("by_owner", (q) => q.eq("owner", me))
      .collect();
  },
});

export const openCount = internalQuery({
  args: {},
  handler: async (ctx) => (await ctx.db.query("tasks").collect()).filter((t) => !t.done).length,
});

export const addMany = action({
  args: { texts: v.array(v.string()) },
  handler: async (ctx, { texts }): Promise<number> => {
    for (const text of texts) await ctx.runMutation(api.tasks.add, { text });
    return await ctx.runQuery(internal.tasks.openCount, {});
  },
});
