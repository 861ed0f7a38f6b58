import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

export const bump = mutation({
  args: { name: v.string(), by: v.int64() },
  handler: async (ctx, { name, by }) => {
    const row = await ctx.db
      .query("counters")
      .withIndex("by_name", (q) => q.eq("name", name))
      .unique();
    if (row === null) {
      await ctx.db.insert("counters", { name, value: by });
      return by;
    }
    await ctx.db.patch(row._id, { value: row.value + by });
    return row.value + by;
  },
});

export const echo = query({
  args: { value: v.any() },
  handler: async (_ctx, { value }) => value,
});

export const storeBytes = mutation({
  args: { data: v.bytes() },
  handler: async (ctx, { data }) => {
    const id = await ctx.db.insert("blobs", { data });
    const row = await ctx.db.get(id);
    return row!.data.byteLength;
  },
});

export const environment = query({
  args: {},
  handler: async () => ({
    random: Math.random(),
    now: Date.now(),
    sameNow: Date.now() === new Date().getTime(),
    encoded: Array.from(new TextEncoder().encode("é")),
    url: new URL("/a?b=1", "https://example.com/x").href,
    b64: btoa("hi"),
  }),
});
