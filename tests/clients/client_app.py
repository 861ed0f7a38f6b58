"""A small app the official clients are tested against."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from convexlite import App, ConvexError, Int64, v

app = App()


@app.query(name="messages:list", args={})
def list_messages(ctx, args):
    return ctx.db.query("messages").collect()


@app.mutation(name="messages:send", args={"author": v.string(), "body": v.string()})
def send(ctx, args):
    print("sending", args["body"])
    return ctx.db.insert("messages", args)


@app.mutation(name="messages:fail", args={"code": v.optional(v.float64())})
def fail(ctx, args):
    raise ConvexError({"code": args.get("code", 1.0), "big": Int64(7)})


@app.query(name="messages:boom", args={})
def boom(ctx, args):
    raise ValueError("boom")


@app.query(name="values:echo")
def echo(ctx, args):
    return args


@app.internal_query(name="admin:count", args={})
def count(ctx, args):
    return len(ctx.db.query("messages").collect())


@app.action(name="actions:shout", args={"text": v.string()})
async def shout(ctx, args):
    count = await ctx.run_query("admin:count", {})
    return f"{args['text'].upper()} ({count:.0f})"


@app.http_action(path="/hello", method="GET")
async def hello(ctx, request: Request) -> Response:
    count = await ctx.run_query("admin:count", {})
    return PlainTextResponse(f"hello {request.url.path} {count:.0f}")


@app.http_action(path_prefix="/echo/", method="POST")
def echo_body(ctx, request: Request) -> Response:
    return JSONResponse({"path": request.url.path, "query": str(request.url.query)})


@app.http_action(path="/fail", method="GET")
async def http_fail(ctx, request: Request) -> Response:
    raise ConvexError("nope")
