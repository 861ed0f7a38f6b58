"use node";
import { createHash } from "node:crypto";
import { v } from "convex/values";
import { ShardedCounter } from "@convex-dev/sharded-counter";
import { action, internalAction } from "./_generated/server";
import { api, components, internal } from "./_generated/api";
import { VERSION } from "./version";

const counter = new ShardedCounter(components.shardedCounter, { defaultShards: 2 });

// Scheduled by messages:send: hashes the message with node:crypto, stores it as a file and
// credits its author in the ledger component.
export const digestMessage = internalAction({
  args: { id: v.id("messages") },
  handler: async (ctx, { id }) => {
    const message = await ctx.runQuery(internal.messages.get, { id });
    if (message === null) return;
    const digest = createHash("sha256").update(Buffer.from(message.body, "utf8")).digest("hex");
    const file = await ctx.storage.store(new Blob([message.body], { type: "text/plain" }));
    await ctx.runMutation(components.ledger.entries.add, {
      account: message.author,
      amount: 10,
      memo: `digest ${digest.slice(0, 8)}`,
    });
    await ctx.runMutation(internal.messages.attach, {
      id,
      digest,
      file,
      processedBy: `node ${VERSION}`,
    });
  },
});

// Called by clients and /who: a component's mutation, query (through a V8 query) and action,
// and the published sharded counter, from Node.js.
export const whoAmI = action({
  args: { account: v.string() },
  handler: async (ctx, { account }) => {
    const total = await ctx.runMutation(components.ledger.entries.add, {
      account,
      amount: 5,
      memo: "node",
    });
    const balance = await ctx.runQuery(api.messages.balance, { account });
    const statement = await ctx.runAction(components.ledger.entries.statement, { account });
    // the published component's own client, in Node.js
    await counter.add(ctx, "node", 1);
    const calls = await counter.count(ctx, "node");
    return { version: VERSION, node: process.versions.node, total, balance, statement, calls };
  },
});
