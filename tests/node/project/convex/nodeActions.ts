"use node";
import { createHash } from "node:crypto";
import ms from "ms";
import { ConvexError, v } from "convex/values";
import { action, internalAction } from "./_generated/server";
import { api, internal } from "./_generated/api";

export const sha256 = action({
  args: { text: v.string() },
  returns: v.string(),
  handler: async (_ctx, { text }) => {
    return createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex");
  },
});

export const duration = action({
  args: { text: v.string() },
  handler: async (_ctx, { text }) => ms(text),
});

export const roundTrip = action({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    const length = await ctx.runMutation(api.notes.add, { text });
    const notes = await ctx.runQuery(api.notes.list, {});
    const doubled = await ctx.runAction(api.notes.double, { n: length });
    return { length, doubled, notes };
  },
});

export const env = action({
  args: {},
  handler: async () => ({
    value: process.env.NODE_TEST_VALUE ?? null,
    cloud: process.env.CONVEX_CLOUD_URL ?? null,
    node: process.versions.node,
  }),
});

export const whoami = action({
  args: {},
  handler: async (ctx) => {
    const who = await ctx.auth.getUserIdentity();
    const viaQuery = await ctx.runQuery(api.notes.identity, {});
    return { subject: who?.subject ?? null, viaQuery };
  },
});

export const schedule = action({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    return await ctx.scheduler.runAfter(0, internal.nodeActions.scheduled, { text });
  },
});

export const scheduled = internalAction({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    await ctx.runMutation(internal.notes.addInternal, { text: `scheduled:${text}` });
  },
});

export const fail = action({
  args: {},
  handler: async () => {
    throw new ConvexError({ code: 42, why: "node says no" });
  },
});

export const boom = action({
  args: {},
  handler: async () => {
    console.log("about to throw", { n: 1 });
    throw new Error("node boom");
  },
});

export const logs = action({
  args: {},
  handler: async () => {
    console.log("hello from node", 7);
    console.warn("careful");
    console.error("bad");
    return null;
  },
});

export const crash = action({
  args: {},
  handler: async () => {
    process.exit(1);
  },
});

export const hang = action({
  args: {},
  handler: async () => {
    await new Promise(() => {});
  },
});

export const echo = action({
  args: { n: v.number() },
  handler: async (_ctx, { n }) => n + 1,
});

export const pid = action({
  args: {},
  handler: async () => process.pid,
});

export const storage = action({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    const id = await ctx.storage.store(new Blob([text], { type: "text/plain" }));
    const url = await ctx.storage.getUrl(id);
    const blob = await ctx.storage.get(id);
    const uploadUrl = await ctx.storage.generateUploadUrl();
    return { url, text: blob === null ? null : await blob.text(), uploadUrl };
  },
});
