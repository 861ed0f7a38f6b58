"""The functions the workloads call, served by `convexlite serve --app isolation.app:app`.

`la:txn` runs a list-append transaction: micro-ops `["r", key, null]` (read the key's list)
and `["append", key, element]`, answered with the reads filled in. `bank:transfer` moves
money between two accounts and refuses to overdraw; `bank:balances` reads every account.
The actions run the same mutations through `ctx.run_mutation`, one transaction each.

The Rust WebSocket client (PyPI `ConvexClient`) re-sends an unanswered mutation after a
reconnect under a new session id, which no server can tell from a new request
(spec/protocol.md §2.10), so its mutations may run twice; its driver passes a `token`, and
`la:txn` answers a token it has seen with the first answer, as an app serving it would.
"""

from __future__ import annotations

from typing import Any

from convexlite import App, ConvexError, define_schema, define_table, v

schema = define_schema(
    {
        "lists": define_table({"key": v.string(), "elements": v.array(v.float64())}).index(
            "by_key", ["key"]
        ),
        "answered": define_table({"token": v.string(), "mops": v.any()}).index(
            "by_token", ["token"]
        ),
        "accounts": define_table({"name": v.string(), "balance": v.float64()}).index(
            "by_name", ["name"]
        ),
    }
)
app = App(schema=schema)
MOPS = {"mops": v.array(v.array(v.any())), "token": v.optional(v.string())}
TRANSFER = {"from": v.string(), "to": v.string(), "amount": v.float64()}


@app.mutation(name="la:txn", args=MOPS)
def txn(ctx: Any, args: dict[str, Any]) -> list[list[Any]]:
    token = args.get("token")
    if token is not None:
        by_token = ctx.db.query("answered").with_index("by_token", lambda r: r.eq("token", token))
        if (answered := by_token.unique()) is not None:
            return answered["mops"]
    done = []
    for f, key, element in args["mops"]:
        row = ctx.db.query("lists").with_index("by_key", lambda r, k=key: r.eq("key", k)).unique()
        if f == "r":
            done.append([f, key, [] if row is None else row["elements"]])
            continue
        if row is None:
            ctx.db.insert("lists", {"key": key, "elements": [element]})
        else:
            ctx.db.patch(row["_id"], {"elements": [*row["elements"], element]})
        done.append([f, key, element])
    if token is not None:
        ctx.db.insert("answered", {"token": token, "mops": done})
    return done


@app.action(name="la:txnAction", args=MOPS)
async def txn_action(ctx: Any, args: dict[str, Any]) -> Any:
    return await ctx.run_mutation("la:txn", args)


def _account(ctx: Any, name: str) -> dict[str, Any]:
    row = ctx.db.query("accounts").with_index("by_name", lambda r: r.eq("name", name)).unique()
    if row is None:
        raise ConvexError({"missing": name})
    return row


@app.mutation(name="bank:transfer", args=TRANSFER)
def transfer(ctx: Any, args: dict[str, Any]) -> None:
    source, target = _account(ctx, args["from"]), _account(ctx, args["to"])
    if source["balance"] < args["amount"]:
        raise ConvexError({"insufficient": source["balance"]})
    ctx.db.patch(source["_id"], {"balance": source["balance"] - args["amount"]})
    ctx.db.patch(target["_id"], {"balance": target["balance"] + args["amount"]})


@app.action(name="bank:transferAction", args=TRANSFER)
async def transfer_action(ctx: Any, args: dict[str, Any]) -> None:
    await ctx.run_mutation("bank:transfer", args)


def _balances(ctx: Any) -> dict[str, float]:
    return {row["name"]: row["balance"] for row in ctx.db.query("accounts").collect()}


@app.query(name="bank:balances", args={})
def balances(ctx: Any, args: dict[str, Any]) -> dict[str, float]:
    return _balances(ctx)


@app.mutation(name="bank:balancesTxn", args={})
def balances_txn(ctx: Any, args: dict[str, Any]) -> dict[str, float]:
    return _balances(ctx)


@app.mutation(name="bank:open", args={"accounts": v.float64(), "balance": v.float64()})
def open_accounts(ctx: Any, args: dict[str, Any]) -> None:
    if ctx.db.query("accounts").first() is None:
        for i in range(int(args["accounts"])):
            ctx.db.insert("accounts", {"name": f"a{i}", "balance": args["balance"]})
