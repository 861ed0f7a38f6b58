import { httpRouter } from "convex/server";
import { httpAction } from "./_generated/server";

const http = httpRouter();

http.route({
  path: "/upload",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    const storageId = await ctx.storage.store(await request.blob());
    return new Response(JSON.stringify({ storageId }), {
      headers: { "content-type": "application/json" },
    });
  }),
});

http.route({
  path: "/download",
  method: "GET",
  handler: httpAction(async (ctx, request) => {
    const storageId = new URL(request.url).searchParams.get("id")!;
    const blob = await ctx.storage.get(storageId as any);
    if (blob === null) return new Response("not found", { status: 404 });
    return new Response(blob);
  }),
});

export default http;
