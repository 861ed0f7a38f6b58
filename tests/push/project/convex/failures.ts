import { v } from "convex/values";
import { action, mutation, query } from "./_generated/server";

function explode(message: string): never {
  throw new Error(message);
}

export const boom = query({
  args: {},
  handler: async () => {
    explode("boom");
  },
});

export const spin = query({
  args: {},
  handler: async () => {
    for (;;) {
      // runs until the time limit stops it
    }
  },
});

export const hog = mutation({
  args: {},
  handler: async () => {
    const hoard: number[][] = [];
    for (;;) hoard.push(new Array(100000).fill(1));
  },
});

export const fetchInQuery = query({
  args: {},
  handler: async () => {
    await fetch("http://127.0.0.1:9/");
    return null;
  },
});

export const badReturn = query({
  args: {},
  returns: v.string(),
  handler: async () => 42 as unknown as string,
});

export const actionBoom = action({
  args: {},
  handler: async () => {
    throw new Error("action failed");
  },
});

export const hogAfterAwait = query({
  args: {},
  handler: async (ctx) => {
    await ctx.db.query("messages").first();
    const hoard: number[][] = [];
    for (;;) hoard.push(new Array(100000).fill(1));
  },
});

export const actionHog = action({
  args: {},
  handler: async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const hoard: number[][] = [];
    for (;;) hoard.push(new Array(100000).fill(1));
  },
});
