import { createFunctionHandle } from "convex/server";
import { v } from "convex/values";
import { components, internal } from "./_generated/api";
import { action, internalMutation, mutation, query } from "./_generated/server";

export const store = action({
  args: { text: v.string() },
  handler: async (ctx, { text }): Promise<string> =>
    await ctx.runAction(components.vault.files.store, { text }),
});

export const list = query({
  args: {},
  handler: async (ctx): Promise<any> => await ctx.runQuery(components.vault.files.list, {}),
});

export const read = action({
  args: { file: v.string() },
  handler: async (ctx, { file }): Promise<string | null> =>
    await ctx.runAction(components.vault.files.read, { file: file as any }),
});

// The app's own file and job, which the component must not see.
export const storeOwn = action({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    const file = await ctx.storage.store(new Blob([text]));
    await ctx.runMutation(internal.app.own, {});
    return file;
  },
});

export const own = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.scheduler.runAfter(3600 * 1000, internal.app.own, {});
  },
});

// What the app sees of storage and scheduled jobs, and of a component's file id.
export const view = query({
  args: { file: v.optional(v.string()) },
  handler: async (ctx, { file }) => ({
    files: (await ctx.db.system.query("_storage").collect()).length,
    jobs: (await ctx.db.system.query("_scheduled_functions").collect()).map((j) => j.name),
    byId: file === undefined ? null : await ctx.db.system.get(file as any),
    url: file === undefined ? null : await ctx.storage.getUrl(file as any),
  }),
});

// A file id of the app handed to the component: not one of its files.
export const forgetInVault = mutation({
  args: { file: v.string() },
  handler: async (ctx, { file }) => {
    await ctx.runMutation(components.vault.files.forget, { file });
  },
});

export const label = query({
  args: {},
  handler: async (ctx): Promise<string | null> =>
    await ctx.runQuery(components.vault.files.label, {}),
});

// A handle to a function the component does not have.
export const badHandle = mutation({
  args: {},
  handler: async (ctx) => {
    await createFunctionHandle((components.vault.files as any).nope);
  },
});
