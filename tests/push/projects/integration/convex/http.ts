import { httpRouter } from "convex/server";
import { MINUTE, RateLimiter } from "@convex-dev/rate-limiter";
import { httpAction } from "./_generated/server";
import { api, components } from "./_generated/api";
import { VERSION } from "./version";

const rateLimiter = new RateLimiter(components.rateLimiter, {
  credit: { kind: "fixed window", rate: 3, period: MINUTE },
});

const http = httpRouter();

http.route({
  path: "/messages",
  method: "GET",
  handler: httpAction(async (ctx) => {
    const messages = await ctx.runQuery(api.messages.list, {});
    return Response.json({ version: VERSION, messages });
  }),
});

// Calls two components: the rate limiter from npm, then the ledger directly.
http.route({
  path: "/credit",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    const { account, amount } = await request.json();
    const limited = await rateLimiter.limit(ctx, "credit", { key: account });
    if (!limited.ok) {
      return new Response("slow down", { status: 429 });
    }
    const total = await ctx.runMutation(components.ledger.entries.add, {
      account,
      amount,
      memo: "http",
    });
    return Response.json({ total });
  }),
});

// An HTTP action running a Node.js action.
http.route({
  path: "/who",
  method: "GET",
  handler: httpAction(async (ctx, request) => {
    const account = new URL(request.url).searchParams.get("account") ?? "";
    return Response.json(await ctx.runAction(api.processing.whoAmI, { account }));
  }),
});

export default http;
