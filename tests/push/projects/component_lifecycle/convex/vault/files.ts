import { v } from "convex/values";
import { internal } from "./_generated/api";
import { action, env, internalMutation, mutation, query } from "./_generated/server";

// A component that keeps files in its own storage and schedules its own jobs.
export const store = action({
  args: { text: v.string() },
  returns: v.id("_storage"),
  handler: async (ctx, { text }) => {
    const file = await ctx.storage.store(new Blob([text], { type: "text/plain" }));
    await ctx.runMutation(internal.files.record, { text, file });
    return file;
  },
});

export const record = internalMutation({
  args: { text: v.string(), file: v.id("_storage") },
  handler: async (ctx, { text, file }) => {
    const note = await ctx.db.insert("notes", { text, file, stamped: false });
    await ctx.scheduler.runAfter(0, internal.files.stamp, { note });
  },
});

export const stamp = internalMutation({
  args: { note: v.id("notes") },
  handler: async (ctx, { note }) => {
    await ctx.db.patch(note, { stamped: true });
  },
});

export const list = query({
  args: {},
  handler: async (ctx) => {
    const notes = await ctx.db.query("notes").collect();
    const files = await ctx.db.system.query("_storage").collect();
    const jobs = await ctx.db.system.query("_scheduled_functions").collect();
    return {
      notes: await Promise.all(
        notes.map(async (n) => ({
          text: n.text,
          stamped: n.stamped,
          file: n.file,
          url: await ctx.storage.getUrl(n.file),
          metadata: (await ctx.db.system.get(n.file))?.size ?? null,
        })),
      ),
      files: files.length,
      jobs: jobs.map((j) => ({ name: j.name, state: j.state.kind })),
    };
  },
});

export const read = action({
  args: { file: v.id("_storage") },
  handler: async (ctx, { file }) => {
    const blob = await ctx.storage.get(file);
    return blob === null ? null : await blob.text();
  },
});

export const forget = mutation({
  args: { file: v.string() },
  handler: async (ctx, { file }) => {
    await ctx.storage.delete(file as any);
  },
});

// The deployment variable the app passes as `LABEL` (`app.env.VAULT_LABEL`).
export const label = query({
  args: {},
  handler: async () => env.LABEL ?? null,
});
