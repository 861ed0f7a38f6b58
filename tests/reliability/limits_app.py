"""The app the resource-limit tests and harness serve: a runaway query, a query returning
more than the result limit, a mutation that fills the (in-memory) store, a cheap query, and
a query per argument (`echo`)."""

from __future__ import annotations

from convexlite import App, v

app = App(transaction_timeout_s=1.0)


@app.query
def ping(ctx, args):
    return "pong"


@app.query
def spin(ctx, args):
    while True:
        try:
            pass
        except Exception:  # a handler that swallows errors is stopped all the same
            continue


@app.query
def oversized(ctx, args):
    return ["x" * (1 << 20)] * 17  # 17 MiB: over the 16 MiB result limit


@app.query(args={"n": v.float64()})
def echo(ctx, args):
    return args["n"]


@app.mutation(args={"count": v.float64(), "size": v.float64()})
def fill(ctx, args):
    for _ in range(int(args["count"])):
        ctx.db.insert("blobs", {"data": "x" * int(args["size"])})
    return None
