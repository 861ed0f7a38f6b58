import { mutation, query } from "./_generated/server";
import { v } from "convex/values";

// Two documents stamped with the same (future) commit timestamp; what the mutation itself
// sees of them before it commits.
export const stampTwo = mutation({
  args: { batch: v.string() },
  handler: async (ctx, { batch }) => {
    const a = await ctx.db.insert("stamps", { batch, at: ctx.db.vars.commitTs });
    const b = await ctx.db.insert("stamps", { batch, at: 0n });
    await ctx.db.patch(b, { nested: { list: [ctx.db.vars.commitTs, 1n] } });
    const readBack = await ctx.db.get(a);
    const sameTx = await ctx.db
      .query("stamps")
      .withIndex("by_at", (q) => q.eq("at", ctx.db.vars.commitTs))
      .collect();
    let unresolved = "";
    try {
      // Arithmetic on a placeholder throws in the library: its value is not known yet.
      unresolved = String((readBack!.at as bigint) + 1n);
    } catch (e: any) {
      unresolved = e.message;
    }
    return {
      readBackIsPlaceholder: readBack!.at === ctx.db.vars.commitTs,
      sameTxIds: sameTx.map((d) => d._id),
      ids: [a, b],
      unresolved,
      snapshotTs: ctx.meta.getSnapshotTs(),
    };
  },
});

export const failAfterStamping = mutation({
  args: { batch: v.string() },
  handler: async (ctx, { batch }) => {
    await ctx.db.insert("stamps", { batch, at: ctx.db.vars.commitTs });
    throw new Error("rolled back");
  },
});

export const batch = query({
  args: { batch: v.string() },
  handler: async (ctx, { batch }) => {
    const docs = await ctx.db
      .query("stamps")
      .withIndex("by_batch", (q) => q.eq("batch", batch))
      .collect();
    return docs.map((d) => ({ id: d._id, at: d.at, nested: d.nested ?? null, ct: d._creationTime }));
  },
});

export const since = query({
  args: { at: v.int64() },
  handler: async (ctx, { at }) => {
    const docs = await ctx.db
      .query("stamps")
      .withIndex("by_at", (q) => q.gte("at", at))
      .collect();
    return docs.map((d) => d._id);
  },
});

// Takes anything: a client may still not send the placeholder.
export const echo = mutation({
  args: {},
  handler: async (_ctx, args) => args,
});

export const writePlain = mutation({
  args: { n: v.any() },
  handler: async (ctx, { n }) => {
    await ctx.db.insert("plain", { n });
  },
});

export const queryWrites = query({
  args: {},
  handler: async (ctx) => {
    await (ctx.db as any).insert("plain", { n: (ctx.db as any).vars?.commitTs ?? null });
  },
});
