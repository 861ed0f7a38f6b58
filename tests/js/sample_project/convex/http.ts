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

export default http;
