import { action, mutation, query } from "./_generated/server";
import { ConvexError, v } from "convex/values";
import { api } from "./_generated/api";

let calls = 0;
const importRandom = Math.random();
const importNow = Date.now();

export const determinism = query({
  args: {},
  handler: async () => {
    calls += 1;
    return {
      calls,
      importRandom,
      importNow,
      random: [Math.random(), Math.random()],
      now: Date.now(),
      newDate: new Date().getTime(),
      dateString: Date(),
      perf: performance.now(),
      uuid: crypto.randomUUID(),
    };
  },
});

export const fail = query({
  args: { kind: v.string() },
  handler: async (_ctx, { kind }) => {
    if (kind === "convex") {
      throw new ConvexError({ code: 42, why: "because" });
    }
    if (kind === "string") {
      throw "plain string";
    }
    throw new Error("boom");
  },
});

export const logs = query({
  args: { count: v.number(), big: v.optional(v.boolean()) },
  handler: async (_ctx, { count, big }) => {
    for (let i = 0; i < count; i++) {
      console.log("line", i);
    }
    if (big) {
      console.info("x".repeat(40000));
    }
    return null;
  },
});

export const refused = query({
  args: { what: v.string() },
  handler: async (_ctx, { what }) => {
    if (what === "fetch") {
      await fetch("https://example.com");
    } else {
      setTimeout(() => {}, 10);
    }
    return null;
  },
});

export const leak = mutation({
  args: {},
  handler: async () => {
    (globalThis as any).leaked = 1;
    return typeof (globalThis as any).leakedBefore;
  },
});

export const roundTrip = action({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    const echoed: string = await ctx.runQuery(api.stats.echo, { text });
    const response = await fetch("https://example.com/data?x=1", {
      method: "POST",
      body: JSON.stringify({ echoed }),
      headers: { "content-type": "application/json" },
    });
    const body = await response.json();
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { echoed, status: response.status, body, date: typeof Date.now() };
  },
});
