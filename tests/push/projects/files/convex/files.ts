import { v } from "convex/values";
import { action, mutation, query } from "./_generated/server";

export const generateUploadUrl = mutation({
  args: {},
  handler: async (ctx) => await ctx.storage.generateUploadUrl(),
});

export const save = mutation({
  args: { storageId: v.id("_storage"), name: v.string() },
  handler: async (ctx, { storageId, name }) => {
    return await ctx.db.insert("documents", { storageId, name });
  },
});

export const url = query({
  args: { storageId: v.string() },
  handler: async (ctx, { storageId }) => await ctx.storage.getUrl(storageId),
});

export const metadata = query({
  args: { storageId: v.string() },
  handler: async (ctx, { storageId }) => await ctx.storage.getMetadata(storageId),
});

export const file = query({
  args: { storageId: v.id("_storage") },
  handler: async (ctx, { storageId }) => await ctx.db.system.get(storageId),
});

export const all = query({
  args: {},
  handler: async (ctx) => await ctx.db.system.query("_storage").collect(),
});

export const remove = mutation({
  args: { storageId: v.string(), fail: v.optional(v.boolean()) },
  handler: async (ctx, { storageId, fail }) => {
    await ctx.storage.delete(storageId);
    if (fail) throw new Error("failed after deleting");
  },
});

export const storeText = action({
  args: { text: v.string(), type: v.optional(v.string()) },
  handler: async (ctx, { text, type }) =>
    await ctx.storage.store(new Blob([text], { type: type ?? "text/plain" })),
});

export const readText = action({
  args: { storageId: v.id("_storage") },
  handler: async (ctx, { storageId }) => {
    const blob = await ctx.storage.get(storageId);
    return blob === null ? null : { text: await blob.text(), type: blob.type };
  },
});

export const urlFromAction = action({
  args: { storageId: v.id("_storage") },
  handler: async (ctx, { storageId }) => await ctx.storage.getUrl(storageId),
});
