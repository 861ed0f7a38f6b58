import { httpRouter } from "convex/server";
import { api } from "./_generated/api";
import { httpAction } from "./_generated/server";

// Served under the httpPrefix the app mounts this instance at.
const http = httpRouter();
http.route({
  path: "/count",
  method: "GET",
  handler: httpAction(async (ctx, request) => {
    const name = new URL(request.url).searchParams.get("name") ?? "";
    const value = await ctx.runQuery(api.counts.get, { name });
    return Response.json({ value, site: process.env.CONVEX_SITE_URL ?? null });
  }),
});
export default http;
