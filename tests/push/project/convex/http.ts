import { httpRouter } from "convex/server";
import { httpAction } from "./_generated/server";
import { api } from "./_generated/api";

const http = httpRouter();

http.route({
  path: "/hello",
  method: "GET",
  handler: httpAction(async (_ctx, request) => {
    const name = new URL(request.url).searchParams.get("name") ?? "world";
    return new Response(`hello ${name}`, { status: 200, headers: { "content-type": "text/plain" } });
  }),
});

http.route({
  path: "/messages",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    const { channel, body } = await request.json();
    const id = await ctx.runMutation(api.messages.send, { channel, author: "http", body });
    return Response.json({ id }, { status: 201 });
  }),
});

http.route({
  pathPrefix: "/files/",
  method: "GET",
  handler: httpAction(async (_ctx, request) => {
    const path = new URL(request.url).pathname;
    return new Response(new TextEncoder().encode(path), { headers: { "x-path": path } });
  }),
});

export default http;
