"""A search's read set (spec/platform.md §6.5): live queries re-run, and mutations
conflict, exactly when the old or new version of a matching document changes."""

from __future__ import annotations

import pytest

from convexlite import App, SyncBackend, define_schema, define_table, v
from convexlite.database.write_log import OptimisticConcurrencyControlFailure
from convexlite.functions.runner import TrackedExecution
from convexlite.subscriptions.tracker import Subscription, SubscriptionTracker

schema = define_schema(
    {
        "messages": define_table({"body": v.string(), "channel": v.string()}).search_index(
            "search_body", search_field="body", filter_fields=["channel"]
        )
    }
)
app = App(schema)


@app.query(name="m:search", args={"text": v.string(), "channel": v.optional(v.string())})
def search(ctx, args):
    def build(q):
        q = q.search("body", args["text"])
        return q.eq("channel", args["channel"]) if "channel" in args else q

    return [
        d["body"] for d in ctx.db.query("messages").with_search_index("search_body", build).take(5)
    ]


@app.mutation(name="m:insert", args={"body": v.string(), "channel": v.string()})
def insert(ctx, args):
    return ctx.db.insert("messages", args)


@app.mutation(name="m:patch", args={"id": v.id("messages"), "body": v.string()})
def patch(ctx, args):
    ctx.db.patch(args["id"], {"body": args["body"]})


class Live:
    def __init__(self) -> None:
        self.backend = SyncBackend(app, "memory:")
        db = self.backend.engine.db
        self.tracker = SubscriptionTracker(db.committer.write_log, db.latest_ts)
        db.add_commit_listener(self.tracker.advance)
        self.invalidated: list[Subscription] = []

    def watch(self, args) -> Subscription:
        outcome: TrackedExecution = self.backend.engine.runner.run_query_tracked("m:search", args)
        return self.tracker.subscribe(outcome.reads, outcome.ts, self.invalidated.append)


@pytest.fixture
def live():
    world = Live()
    yield world
    world.backend.close()


def test_a_live_search_reruns_only_for_matching_documents(live):
    first = live.backend.mutation("m:insert", {"body": "hello world", "channel": "#a"})
    sub = live.watch({"text": "hello wor"})
    live.backend.mutation("m:insert", {"body": "goodbye moon", "channel": "#a"})
    live.backend.mutation("m:insert", {"body": "say hello", "channel": "#b"})
    assert live.invalidated == [sub]

    sub = live.watch({"text": "hello wor"})
    live.backend.mutation("m:insert", {"body": "wordy text", "channel": "#c"})  # prefix "wor"
    assert live.invalidated[-1] is sub

    sub = live.watch({"text": "hello wor"})
    live.backend.mutation("m:patch", {"id": first, "body": "nothing"})  # old version matched
    assert live.invalidated[-1] is sub


def test_filters_narrow_what_invalidates(live):
    sub = live.watch({"text": "hello", "channel": "#a"})
    live.backend.mutation("m:insert", {"body": "hello", "channel": "#b"})
    assert live.invalidated == []
    live.backend.mutation("m:insert", {"body": "hello", "channel": "#a"})
    assert live.invalidated == [sub]


def test_a_mutation_conflicts_with_a_matching_concurrent_insert(live):
    db = live.backend.engine.db
    from convexlite.query.query_json import Query, Search, SearchFilter
    from convexlite.query.stream import QueryStream

    def searching_tx():
        tx = db.begin()
        query = Query(Search("messages.search_body", [SearchFilter("Search", "body", "hello")]))
        list(QueryStream(tx, query))
        tx.insert("messages", {"body": "log", "channel": "#z"})
        return tx

    unrelated = searching_tx()
    live.backend.mutation("m:insert", {"body": "goodbye", "channel": "#a"})
    db.commit(unrelated)

    related = searching_tx()
    live.backend.mutation("m:insert", {"body": "hello there", "channel": "#a"})
    with pytest.raises(OptimisticConcurrencyControlFailure):
        db.commit(related)
