"""SubscriptionTracker end to end: real queries, real commits, a brute-force oracle.

Each example builds a random schema, runs random queries through the engine
to get their read sets, subscribes them, then applies random mutations. After
every commit two things must hold for every subscription:

- soundness: if re-running the query now gives another result, the
  subscription was invalidated (a missed update is the one unforgivable bug);
- precision: it was invalidated exactly when a key the commit wrote lies in
  its read set, checked by scanning the read set's intervals, not the
  tracker's maps, so over-invalidation is caught as well.

Value domains are tiny so that ranges, equalities and documents collide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convexlite import App, SyncBackend, define_schema, define_table, v
from convexlite.database.intervals import Interval, IntervalSet
from convexlite.database.write_log import LogEntry, WriteLog, WrittenKey
from convexlite.functions.runner import TrackedExecution
from convexlite.subscriptions.tracker import Subscription, SubscriptionTracker
from convexlite.values import UNDEFINED, dumps

FIELDS = ("a", "b", "c")
DOMAIN: tuple[Any, ...] = (None, False, 0.0, 1.0, 2.0, "x", "y")
GHOST = "ghost"
"""A table no schema declares: the first insert creates it, writing `_tables`."""

# ---- the app: one query interpreting a spec, one mutation applying ops ---------------------


def _apply_range(r: Any, spec: list[list[Any]]) -> Any:
    for op, field_name, value in spec:
        r = getattr(r, op)(field_name, value)
    return r


def _run_part(db: Any, part: dict[str, Any]) -> Any:
    if part["kind"] == "get":
        return db.get(part["id"])
    q = db.query(part["table"])
    if part["index"] is not None:
        spec = part["range"]
        q = q.with_index(part["index"], (lambda r: _apply_range(r, spec)) if spec else None)
    if part["filter"] is not None:
        op, field_name, value = part["filter"]
        q = q.filter(lambda f: getattr(f, op)(f.field(field_name), value))
    if part["order"] is not None:
        q = q.order(part["order"])
    end, n = part["end"]
    if end == "collect":
        return q.collect()
    if end == "take":
        return q.take(n)
    if end == "first":
        return q.first()
    if end == "unique":
        return q.unique()
    page = q.paginate({"numItems": n, "cursor": None})
    return [page["page"], page["isDone"]]


def _apply_op(db: Any, op: dict[str, Any]) -> None:
    kind = op["op"]
    if kind == "insert":
        db.insert(op["table"], op["doc"])
    elif kind == "patch":
        db.patch(op["id"], {**op["set"], **{name: UNDEFINED for name in op["unset"]}})
    elif kind == "replace":
        db.replace(op["id"], op["doc"])
    else:
        db.delete(op["id"])


def build_app(indexes: dict[str, list[list[str]]]) -> App:
    tables = {}
    for table, index_fields in indexes.items():
        definition = define_table(v.any())
        for i, fields in enumerate(index_fields):
            definition = definition.index(f"by_{i}", fields)
        tables[table] = definition
    app = App(schema=define_schema(tables))

    @app.query(name="q:run", args={"parts": v.any()})
    def run(ctx, args):
        return [_run_part(ctx.db, part) for part in args["parts"]]

    @app.mutation(name="m:apply", args={"ops": v.any()})
    def apply(ctx, args):
        for op in args["ops"]:
            _apply_op(ctx.db, op)

    return app


# ---- strategies ----------------------------------------------------------------------------

values = st.sampled_from(DOMAIN)
documents = st.dictionaries(st.sampled_from(FIELDS), values, max_size=3)
schemas = st.lists(
    st.lists(
        st.lists(st.sampled_from(FIELDS), min_size=1, max_size=2, unique=True),
        max_size=2,
        unique_by=tuple,
    ),
    min_size=1,
    max_size=3,
).map(lambda tables: {f"t{i}": fields for i, fields in enumerate(tables)})


@st.composite
def index_ranges(draw: st.DrawFn, fields: list[str]) -> list[list[Any]]:
    """Equalities on a prefix of the index's fields, then bounds on the next one."""
    n_eq = draw(st.integers(0, len(fields)))
    spec: list[list[Any]] = [["eq", name, draw(values)] for name in fields[:n_eq]]
    if n_eq < len(fields):
        bound_field = fields[n_eq]
        if draw(st.booleans()):
            spec.append([draw(st.sampled_from(["gt", "gte"])), bound_field, draw(values)])
        if draw(st.booleans()):
            spec.append([draw(st.sampled_from(["lt", "lte"])), bound_field, draw(values)])
    return spec


@st.composite
def query_parts(
    draw: st.DrawFn, indexes: dict[str, list[list[str]]], ids: list[str]
) -> dict[str, Any]:
    if ids and draw(st.integers(0, 4)) == 0:
        return {"kind": "get", "id": draw(st.sampled_from(ids))}
    table = draw(st.sampled_from([*indexes, GHOST]))
    choices: list[tuple[str | None, list[str]]] = [(None, []), ("by_creation_time", [])]
    choices += [(f"by_{i}", fields) for i, fields in enumerate(indexes.get(table, []))]
    if table == GHOST:
        choices = choices[:1]
    index, fields = draw(st.sampled_from(choices))
    return {
        "kind": "scan",
        "table": table,
        "index": index,
        "range": draw(index_ranges(fields)) if fields else [],
        "filter": draw(
            st.none()
            | st.tuples(
                st.sampled_from(["eq", "neq", "lt", "gte"]), st.sampled_from(FIELDS), values
            ).map(list)
        ),
        "order": draw(st.sampled_from([None, "asc", "desc"])),
        "end": draw(
            st.tuples(
                st.sampled_from(["collect", "take", "first", "unique", "paginate"]),
                st.integers(0, 3),
            ).map(list)
        ),
    }


@st.composite
def mutations(draw: st.DrawFn, tables: list[str], live: list[str]) -> list[dict[str, Any]]:
    """1–3 writes; each existing document is touched at most once so no op can fail."""
    untouched = list(live)
    ops: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["insert", "patch", "replace", "delete"]))
        if kind == "insert" or not untouched:
            table = draw(st.sampled_from([*tables, GHOST]))
            ops.append({"op": "insert", "table": table, "doc": draw(documents)})
            continue
        doc_id = untouched.pop(draw(st.integers(0, len(untouched) - 1)))
        if kind == "patch":
            changed = draw(documents)
            unset = draw(st.lists(st.sampled_from(FIELDS), max_size=2, unique=True))
            ops.append({"op": "patch", "id": doc_id, "set": changed, "unset": unset})
        elif kind == "replace":
            ops.append({"op": "replace", "id": doc_id, "doc": draw(documents)})
        else:
            ops.append({"op": "delete", "id": doc_id})
    return ops


# ---- the oracle ----------------------------------------------------------------------------


def result_of(outcome: TrackedExecution) -> str:
    if outcome.error is not None:
        return f"error {type(outcome.error).__name__}: {outcome.error}"
    return dumps(outcome.value)


def written_into(reads: dict[bytes, IntervalSet], entries: list[LogEntry]) -> bool:
    """Brute force: does any written key fall in any interval of `reads`?"""
    for entry in entries:
        for index_id, written in entry.writes.items():
            intervals = list(reads.get(index_id, IntervalSet()))
            if any(interval.contains(w.key) for w in written for interval in intervals):
                return True
    return False


@dataclass
class Watched:
    args: dict[str, Any]
    result: str
    sub: Subscription


class World:
    """A backend, a tracker on its write log, and the model of which ids exist."""

    def __init__(self, indexes: dict[str, list[list[str]]]) -> None:
        self.backend = SyncBackend(build_app(indexes), "memory:")
        self.engine = self.backend.engine
        self.tables = list(indexes)
        self.live: list[str] = []
        self.all_ids: list[str] = []
        self.entries: list[LogEntry] = []
        self.invalidated: list[Subscription] = []
        db = self.engine.db
        self.tracker = SubscriptionTracker(db.committer.write_log, db.latest_ts)
        db.add_commit_listener(self.tracker.advance)
        db.add_commit_listener(self.entries.append)

    def run(self, args: dict[str, Any]) -> TrackedExecution:
        return self.engine.runner.run_query_tracked("q:run", args)

    def subscribe(self, outcome: TrackedExecution) -> Subscription:
        return self.tracker.subscribe(outcome.reads, outcome.ts, self.invalidated.append)

    def watch(self, args: dict[str, Any]) -> Watched:
        outcome = self.run(args)
        return Watched(args, result_of(outcome), self.subscribe(outcome))

    def commit(self, ops: list[dict[str, Any]]) -> None:
        """Apply `ops` in one mutation, keeping the id model in step."""
        self.entries.clear()
        self.invalidated.clear()
        before = self.engine.db.latest_ts
        self.backend.mutation("m:apply", {"ops": ops})
        assert len(self.entries) <= 1
        assert bool(self.entries) == (self.engine.db.latest_ts > before)
        for op in ops:
            if op["op"] == "delete":
                self.live.remove(op["id"])
        fresh = self._inserted_ids()
        self.live += fresh
        self.all_ids += fresh

    def _inserted_ids(self) -> list[str]:
        known = set(self.all_ids)
        fresh = set()
        for entry in self.entries:
            for written in entry.writes.values():
                for w in written:
                    if w.table_name in (*self.tables, GHOST) and w.document_id not in known:
                        fresh.add(w.document_id)
        return sorted(fresh)

    def close(self) -> None:
        self.backend.close()


def check_step(world: World, watched: list[Watched]) -> None:
    """Soundness and precision for every subscription after one commit; re-subscribe the hit."""
    hits = {id(s) for s in world.invalidated}
    assert len(hits) == len(world.invalidated), "invalidated twice"
    for w in watched:
        outcome = world.run(w.args)
        now = result_of(outcome)
        expected_hit = written_into(w.sub.reads, world.entries)
        hit = id(w.sub) in hits
        if now != w.result:
            assert hit, f"missed update of {w.args}:\n{w.result}\n->\n{now}"
        assert hit == expected_hit, (w.args, world.entries)
        assert w.sub.valid == (not hit)
        if hit:
            assert w.sub.invalid_ts == world.entries[0].ts
            w.result, w.sub = now, world.subscribe(outcome)
            assert w.sub.valid
    assert len(world.tracker) == len(watched)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(schemas, st.data())
def test_commits_invalidate_exactly_the_subscriptions_they_wrote_into(indexes, data):
    world = World(indexes)
    try:
        world.commit(data.draw(mutations(world.tables, world.live), label="seed"))
        world.commit(data.draw(mutations(world.tables, world.live), label="seed"))
        queries = st.lists(query_parts(indexes, world.all_ids), min_size=1, max_size=2)
        watched = [
            world.watch({"parts": data.draw(queries, label="query")})
            for _ in range(data.draw(st.integers(1, 6), label="queries"))
        ]
        for _ in range(data.draw(st.integers(1, 6), label="steps")):
            world.commit(data.draw(mutations(world.tables, world.live), label="commit"))
            check_step(world, watched)
        for w in watched:
            world.tracker.unsubscribe(w.sub)
        assert len(world.tracker) == 0
        assert not world.tracker._points and not world.tracker._ranges, "leaked intervals"
    finally:
        world.close()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(schemas, st.data())
def test_late_subscriptions_see_commits_already_processed(indexes, data):
    """A read set from a snapshot the tracker has moved past is checked against the log."""
    world = World(indexes)
    try:
        world.commit(data.draw(mutations(world.tables, world.live), label="seed"))
        parts = data.draw(st.lists(query_parts(indexes, world.all_ids), min_size=1, max_size=2))
        stale = world.run({"parts": parts})
        commits = []
        for _ in range(data.draw(st.integers(1, 3), label="commits")):
            world.commit(data.draw(mutations(world.tables, world.live), label="commit"))
            commits += world.entries
        world.invalidated.clear()
        sub = world.subscribe(stale)
        missed = written_into(stale.reads, commits)
        assert sub.valid == (not missed)
        assert world.invalidated == ([sub] if missed else [])
        assert len(world.tracker) == (0 if missed else 1)
        if missed:
            first = next(e.ts for e in commits if written_into(stale.reads, [e]))
            assert sub.invalid_ts == first
        else:
            assert result_of(world.run({"parts": parts})) == result_of(stale)
    finally:
        world.close()


# ---- examples ------------------------------------------------------------------------------


def by_a(value: float) -> dict[str, Any]:
    part = {
        "kind": "scan", "table": "t0", "index": "by_0", "range": [["eq", "a", value]],
        "filter": None, "order": None, "end": ["collect", 0],
    }
    return {"parts": [part]}


def test_unsubscribed_read_sets_are_never_matched_again():
    world = World({"t0": [["a"]]})
    try:
        one, two = world.watch(by_a(1.0)), world.watch(by_a(1.0))
        other = world.watch(by_a(2.0))
        assert len(world.tracker) == 3
        world.tracker.unsubscribe(one.sub)
        world.tracker.unsubscribe(one.sub)
        assert len(world.tracker) == 2
        world.commit([{"op": "insert", "table": "t0", "doc": {"a": 1.0}}])
        assert world.invalidated == [two.sub]
        assert one.sub.valid and other.sub.valid
        world.tracker.unsubscribe(other.sub)
        world.commit([{"op": "insert", "table": "t0", "doc": {"a": 2.0}}])
        assert world.invalidated == [] and len(world.tracker) == 0
    finally:
        world.close()


def test_a_subscription_from_an_old_snapshot_is_invalid_only_if_written_into():
    world = World({"t0": [["a"]]})
    try:
        stale_hit = world.run(by_a(1.0))
        stale_miss = world.run(by_a(2.0))
        world.commit([{"op": "insert", "table": "t0", "doc": {"a": 1.0}}])
        hit_ts = world.entries[0].ts
        world.commit([{"op": "insert", "table": "t0", "doc": {"a": 3.0}}])
        world.invalidated.clear()
        late_hit = world.subscribe(stale_hit)
        late_miss = world.subscribe(stale_miss)
        assert late_hit.invalid_ts == hit_ts and world.invalidated == [late_hit]
        assert late_miss.valid
        world.commit([{"op": "insert", "table": "t0", "doc": {"a": 2.0}}])
        assert world.invalidated == [late_miss] and not late_miss.valid
    finally:
        world.close()


def test_a_snapshot_older_than_the_retained_log_must_rerun():
    """Without the log entries nobody can tell what was missed, so assume the worst."""
    log = WriteLog(start_ts=0, max_entries=2)
    tracker = SubscriptionTracker(log, processed_ts=0)
    index = b"i" * 16
    for ts in (1, 2, 3, 4):
        entry = LogEntry(ts, {index: [WrittenKey(b"\x10z\x00", "t", f"doc{ts}")]})
        log.append(entry)
        tracker.advance(entry)
    reads = {index: IntervalSet([Interval.singleton(b"\x10a\x00")])}
    called: list[Subscription] = []
    assert tracker.subscribe(reads, 3, called.append).valid
    too_old = tracker.subscribe(reads, 0, called.append)
    assert not too_old.valid and called == [too_old]
    assert len(tracker) == 1


def test_a_commit_older_than_the_subscriptions_snapshot_does_not_invalidate_it():
    from convexlite.database.intervals import Interval, IntervalSet
    from convexlite.database.write_log import LogEntry, WriteLog, WrittenKey
    from convexlite.subscriptions.tracker import SubscriptionTracker

    log = WriteLog(start_ts=0)
    tracker = SubscriptionTracker(log, processed_ts=0)
    hit = []
    reads = {b"ix": IntervalSet([Interval.all()])}
    newer = tracker.subscribe(reads, 20, hit.append)
    older = tracker.subscribe(reads, 5, hit.append)
    entry = LogEntry(10, {b"ix": [WrittenKey(b"k", "t", "id")]})
    log.append(entry)
    tracker.advance(entry)
    assert hit == [older] and newer.valid and not older.valid


def test_valid_through_also_answers_for_commits_not_processed_yet():
    """A caller that saw commit `ts` published may ask before the tracker processed it."""
    log = WriteLog(start_ts=0)
    tracker = SubscriptionTracker(log, processed_ts=0)
    index = b"i" * 16
    reads = {index: IntervalSet([Interval.singleton(b"\x10a\x00")])}
    sub = tracker.subscribe(reads, 0, lambda sub: None)
    miss = LogEntry(1, {index: [WrittenKey(b"\x10z\x00", "t", "doc1")]})
    hit = LogEntry(2, {index: [WrittenKey(b"\x10a\x00", "t", "doc2")]})
    log.append(miss)
    assert tracker.valid_through(sub, 0)
    assert tracker.valid_through(sub, 1)  # published, not processed, missed the reads
    log.append(hit)
    assert not tracker.valid_through(sub, 2)  # published, not processed, wrote into them
    tracker.advance(miss)
    tracker.advance(hit)
    assert tracker.valid_through(sub, 0) is False  # invalid now, whatever the ts
    assert not tracker.valid_through(sub, 2)
    fresh = tracker.subscribe(reads, 2, lambda sub: None)
    assert tracker.valid_through(fresh, 2) and tracker.valid_through(fresh, 1)
