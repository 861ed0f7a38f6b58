"""Operate an embedded deployment: watch its metrics, pause it for maintenance, resume.

Run: python examples/maintenance.py

While paused, user functions fail with Convex's paused error (and scheduled functions wait),
so a migration can run without clients writing meanwhile; the per-minute metrics the
dashboard charts count the calls and the failures.
"""

from __future__ import annotations

import asyncio
import json
import time

from convexlite import App, Backend, ConvexBackendError, define_schema, define_table, v

app = App(schema=define_schema({"orders": define_table({"item": v.string()})}))


@app.mutation(name="orders:place", args={"item": v.string()})
def place(ctx, args):
    return ctx.db.insert("orders", args)


def window(minutes: int = 5) -> dict[str, str]:
    """The `window` parameter of the dashboard's metric routes: the last minutes, per minute."""
    end = int(time.time()) + 60
    start = end - 60 * minutes

    def point(seconds: int) -> dict[str, int]:
        return {"secs_since_epoch": seconds, "nanos_since_epoch": 0}

    return {
        "window": json.dumps({"start": point(start), "end": point(end), "num_buckets": minutes})
    }


async def maintenance_window() -> dict[str, object]:
    async with Backend(app, "memory:") as backend:
        await backend.mutation("orders:place", {"item": "tea"})
        await backend.set_paused(True)
        try:
            await backend.mutation("orders:place", {"item": "cake"})
            refused = None
        except ConvexBackendError as exc:  # code "DeploymentNotRunning"
            refused = exc.message
        await backend.set_paused(False)
        await backend.mutation("orders:place", {"item": "scones"})
        calls = backend.app_metrics("function_call_count_top_k", {**window(), "k": "5"})
        total = {key: sum(value or 0 for _, value in series) for key, series in calls}
        return {"refused while paused": refused, "calls in the last minutes": total}


if __name__ == "__main__":
    for label, value in asyncio.run(maintenance_window()).items():
        print(f"{label}: {value}")
