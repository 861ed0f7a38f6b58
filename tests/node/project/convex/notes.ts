import { v } from "convex/values";
import { action, internalMutation, mutation, query } from "./_generated/server";
import { api, internal } from "./_generated/api";

export const list = query({
  args: {},
  handler: async (ctx) => {
    const notes = await ctx.db.query("notes").collect();
    return notes.map((n) => n.text);
  },
});

export const add = mutation({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    await ctx.db.insert("notes", { text });
    return text.length;
  },
});

export const addInternal = internalMutation({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    await ctx.db.insert("notes", { text });
  },
});

export const identity = query({
  args: {},
  handler: async (ctx) => {
    const who = await ctx.auth.getUserIdentity();
    return who === null ? null : who.subject;
  },
});

// A V8 action calling a node action, which calls back into this module.
export const viaNode = action({
  args: { text: v.string() },
  handler: async (ctx, { text }): Promise<string> => {
    return await ctx.runAction(api.nodeActions.sha256, { text });
  },
});

// The same work as nodeActions.echo, in V8 (benches/bench_node_actions.py).
export const echo = action({
  args: { n: v.number() },
  handler: async (_ctx, { n }) => n + 1,
});

export const double = action({
  args: { n: v.number() },
  handler: async (_ctx, { n }) => n * 2,
});
