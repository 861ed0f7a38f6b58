"""Scheduled functions and a cron job in a Python app: reminders that fire later, and a
nightly clean-up of old ones.

Run it: `python examples/reminders.py` (a reminder due in one second fires while it waits).
Its tests, with time under the test's control: examples/test_reminders.py.
"""

from __future__ import annotations

import asyncio

from convexlite import App, Backend, v

app = App()


@app.mutation(name="reminders:set", args={"text": v.string(), "inMs": v.number()})
def set_reminder(ctx, args):
    """Store a reminder and schedule its firing; both happen only if this commits."""
    reminder = ctx.db.insert("reminders", {"text": args["text"], "fired": False})
    ctx.scheduler.run_after(args["inMs"], fire, {"id": reminder})
    return reminder


@app.internal_mutation(name="reminders:fire", args={"id": v.id("reminders")})
def fire(ctx, args):
    ctx.db.patch(args["id"], {"fired": True})


@app.internal_mutation(name="reminders:cleanUp")
def clean_up(ctx, args):
    for reminder in ctx.db.query("reminders").filter(lambda q: q.eq(q.field("fired"), True)):
        ctx.db.delete(reminder["_id"])


@app.query(name="reminders:list")
def list_reminders(ctx, args):
    return [{"text": r["text"], "fired": r["fired"]} for r in ctx.db.query("reminders")]


@app.query(name="reminders:pending")
def pending(ctx, args):
    """The scheduled firings not run yet, from the `_scheduled_functions` system table."""
    jobs = ctx.db.system.query("_scheduled_functions").collect()
    return [job["args"][0]["id"] for job in jobs if job["state"]["kind"] == "pending"]


app.crons.daily("clean up fired reminders", {"hourUTC": 4}, clean_up)


async def main() -> None:
    async with Backend(app, "memory:") as backend:
        await backend.mutation("reminders:set", {"text": "stretch", "inMs": 1000})
        print(await backend.query("reminders:list", {}))
        await asyncio.sleep(1.5)
        print(await backend.query("reminders:list", {}))


if __name__ == "__main__":
    asyncio.run(main())
