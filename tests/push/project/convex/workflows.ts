import { v } from "convex/values";
import { action, internalQuery, mutation, query } from "./_generated/server";
import { api, internal } from "./_generated/api";
import { makeFunctionReference } from "convex/server";

export const count = internalQuery({
  args: { channel: v.string() },
  handler: async (ctx, { channel }) => {
    const rows = await ctx.db
      .query("messages")
      .withIndex("by_channel", (q) => q.eq("channel", channel))
      .collect();
    return rows.length;
  },
});

export const countTwice = query({
  args: { channel: v.string() },
  handler: async (ctx, { channel }): Promise<number> => {
    const once: number = await ctx.runQuery(internal.workflows.count, { channel });
    return once * 2;
  },
});

export const sendAndCount = mutation({
  args: { channel: v.string() },
  handler: async (ctx, { channel }): Promise<number> => {
    await ctx.runMutation(api.messages.send, { channel, author: "nested", body: "from a mutation" });
    return await ctx.runQuery(internal.workflows.count, { channel });
  },
});

export const fanOut = action({
  args: { channel: v.string(), n: v.number() },
  handler: async (ctx, { channel, n }): Promise<number> => {
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        ctx.runMutation(api.messages.send, { channel, author: "action", body: `m${i}` }),
      ),
    );
    const counted: number = await ctx.runQuery(internal.workflows.count, { channel });
    await new Promise((resolve) => setTimeout(resolve, 10));
    console.info("fanned out", counted);
    return counted;
  },
});

export const whoAmI = action({
  args: {},
  handler: async (ctx) => {
    const identity = await ctx.auth.getUserIdentity();
    return identity === null ? "anonymous" : identity.subject;
  },
});

export const identityTypes = query({
  args: {},
  handler: async (ctx) => {
    const identity = (await ctx.auth.getUserIdentity()) ?? {};
    return Object.fromEntries(Object.entries(identity).map(([key, value]) => [key, typeof value]));
  },
});

// A Python function of the same deployment (convexlite serve --app, or an embedded App).
const pythonCount = makeFunctionReference<"query", Record<string, never>, number>("py:count");

export const countViaPython = query({
  args: {},
  handler: async (ctx): Promise<number> => await ctx.runQuery(pythonCount, {}),
});

export const logThenCount = action({
  args: { channel: v.string() },
  handler: async (ctx, { channel }): Promise<number> => {
    console.log("counting", channel);
    return await ctx.runQuery(internal.workflows.count, { channel });
  },
});

// fetch in an action, to this deployment's own HTTP action (process.env.CONVEX_SITE_URL)
export const fetchHello = action({
  args: { name: v.string() },
  handler: async (_ctx, { name }): Promise<{ status: number; text: string }> => {
    const response = await fetch(`${process.env.CONVEX_SITE_URL}/hello?name=${name}`);
    return { status: response.status, text: await response.text() };
  },
});
