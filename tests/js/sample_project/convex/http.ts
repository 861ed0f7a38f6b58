import { httpRouter } from "convex/server";
import { httpAction } from "./_generated/server";
import { normalize } from "./lib/tally";

const http = httpRouter();

http.route({
  path: "/hello",
  method: "GET",
  handler: httpAction(async (_ctx, request) => {
    const name = new URL(request.url).searchParams.get("name") ?? "world";
    return new Response(`hello ${normalize(name)}`, { status: 200 });
  }),
});

http.route({
  path: "/echo",
  method: "POST",
  handler: httpAction(async (_ctx, request) => {
    const body = await request.json();
    return Response.json(
      { got: body, agent: request.headers.get("user-agent") },
      { status: 201, headers: { "x-echo": "yes" } },
    );
  }),
});

http.route({
  pathPrefix: "/files/",
  method: "GET",
  handler: httpAction(async (_ctx, request) => {
    return new Response(new URL(request.url).pathname, { status: 200 });
  }),
});

export default http;
