"""`COMMIT_TS` written by Python mutations: the same placeholder as JS `db.vars.commitTs`."""

from __future__ import annotations

import pytest

from convexlite import COMMIT_TS, App, Int64, SyncBackend, v
from convexlite.functions.runner import FunctionError

app = App()


@app.mutation(name="stamps:stamp")
def stamp(ctx, args):
    new_id = ctx.db.insert("stamps", {"at": COMMIT_TS, "nested": [{"at": COMMIT_TS}]})
    seen = ctx.db.get(new_id)
    return seen["at"] is COMMIT_TS and seen["nested"] == [{"at": COMMIT_TS}]


@app.mutation(name="stamps:fail")
def fail(ctx, args):
    ctx.db.insert("stamps", {"at": COMMIT_TS, "nested": []})
    raise RuntimeError("rolled back")


@app.query(name="stamps:all", returns=v.array(v.any()))
def all_stamps(ctx, args):
    return ctx.db.query("stamps").collect()


def test_python_mutations_write_the_commit_ts():
    with SyncBackend(app) as backend:
        assert backend.mutation("stamps:stamp", {}) is True
        assert backend.mutation("stamps:stamp", {}) is True
        with pytest.raises(FunctionError, match="rolled back"):
            backend.mutation("stamps:fail", {})
        docs = backend.query("stamps:all", {})
        assert len(docs) == 2
        for doc in docs:
            assert type(doc["at"]) is Int64
            assert doc["nested"] == [{"at": doc["at"]}]
            assert doc["at"] >= int(doc["_creationTime"] * 1_000_000) - 1_000_000
        assert docs[0]["at"] < docs[1]["at"]
