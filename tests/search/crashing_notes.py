"""A process that writes notes and points, searches them and lets a checkpoint store their
text and vector indexes, then waits to be killed (`test_search_checkpoints.py`).

`python crashing_notes.py URL INSTANCE_NAME CHECKPOINT_WRITES` (other settings from the
environment): prints `ready N` (N: the checkpoints run)
once a checkpoint has run (or all writes were made, when none is due), then sleeps.
"""

from __future__ import annotations

import sys
import time

from convexlite import App, SyncBackend, define_schema, define_table, v
from convexlite.config import Config

APP = App(
    define_schema(
        {
            "notes": define_table({"body": v.string()}).search_index(
                "search_body", search_field="body"
            ),
            "points": define_table({"at": v.array(v.float64())}).vector_index(
                "by_at", vector_field="at", dimensions=2
            ),
        }
    )
)


@APP.query(name="notes:search")
def search(ctx, args):
    q = ctx.db.query("notes").with_search_index(
        "search_body", lambda q: q.search("body", args["text"])
    )
    return sorted(d["body"] for d in q.collect())


@APP.mutation(name="notes:insert")
def insert(ctx, args):
    for body in args["bodies"]:
        ctx.db.insert("notes", {"body": body})


@APP.mutation(name="points:insert")
def insert_points(ctx, args):
    for x in args["xs"]:
        ctx.db.insert("points", {"at": [float(x), 1.0]})


@APP.action(name="points:nearest")
async def nearest(ctx, args):
    found = await ctx.vector_search("points", "by_at", {"vector": args["at"], "limit": 1})
    point = await ctx.run_query("points:get", {"id": found[0]["_id"]})
    return point["at"]


@APP.query(name="points:get")
def get_point(ctx, args):
    return ctx.db.get(args["id"])


def main(url: str, instance_name: str, checkpoint_writes: int) -> None:
    config = Config.from_env().with_options(
        store_url=url, instance_name=instance_name, search_checkpoint_writes=checkpoint_writes
    )
    backend = SyncBackend(APP, config=config, run_scheduler=False)
    backend.mutation("notes:insert", {"bodies": [f"apple {i}" for i in range(5)]})
    backend.query("notes:search", {"text": "apple"})  # builds the index
    backend.mutation("notes:insert", {"bodies": [f"apple {i}" for i in range(5, 35)]})
    backend.mutation("points:insert", {"xs": list(range(30))})
    persistence, store = backend.engine.persistence, backend.engine.search_indexes

    def stored() -> bool:
        return all(persistence.get_global(name) for name in ("text_indexes", "vector_indexes"))

    deadline = time.monotonic() + 20
    while checkpoint_writes <= 30 and not stored() and time.monotonic() < deadline:
        time.sleep(0.05)
    # Written after the checkpoint: the next open catches up with these.
    backend.mutation("notes:insert", {"bodies": ["apple 35", "cherry 36"]})
    backend.mutation("points:insert", {"xs": [-50]})
    print(f"ready {store.checkpoints}", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
