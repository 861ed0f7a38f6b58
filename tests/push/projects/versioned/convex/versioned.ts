import { v } from "convex/values";
import { action, mutation, query } from "./_generated/server";

// The tests rewrite this number before each deploy, in this file or in the pushed bundle (a
// string survives the CLI's minifier).
const DEPLOY_VERSION = Number("deploy-version:1".split(":")[1]);

export const current = query({
  args: {},
  handler: async () => ({ version: DEPLOY_VERSION }),
});

export const latest = query({
  args: {},
  handler: async (ctx) => {
    const note = await ctx.db.query("notes").order("desc").first();
    return { version: DEPLOY_VERSION, latest: note?.body ?? null };
  },
});

export const add = mutation({
  args: { body: v.string() },
  handler: async (ctx, { body }) => {
    await ctx.db.insert("notes", { body, version: DEPLOY_VERSION });
    return { version: DEPLOY_VERSION };
  },
});

// Started on one version, sleeps while a deploy may land, and reports the version its code had.
export const slow = action({
  args: { ms: v.number() },
  handler: async (_ctx, { ms }) => {
    const started = DEPLOY_VERSION;
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { version: DEPLOY_VERSION, started };
  },
});
