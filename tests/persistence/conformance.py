"""The conformance suite every `Persistence` backend must pass.

A backend's test module subclasses `PersistenceConformance` and provides a
`persistence_factory` fixture: a callable returning a fresh, empty store
(the fixture closes what it handed out). Backends that keep data across
`close()` also override `reopen_factory`: a callable that opens the *same*
store again each time it is called (the caller closes the previous one).

Tests talk to stores only through the protocol, so a new backend (Postgres,
MySQL) proves it behaves like the others by plugging in these two fixtures.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

import pytest

from convexlite.database.database import Database
from convexlite.database.errors import OutOfRetention
from convexlite.database.intervals import Interval
from convexlite.database.transaction import Transaction
from convexlite.persistence import (
    CorruptedStoreError,
    DocumentRevision,
    DuplicateRowError,
    IndexEntry,
    IndexRow,
    InvalidWriteError,
    Persistence,
    StoreClosedError,
)

Factory = Callable[[], Persistence]
P = ParamSpec("P")
S = TypeVar("S", bound=Persistence)


def closing_factory(
    open_store: Callable[P, S], *, at_most: int | None = None
) -> Iterator[Callable[P, S]]:
    """A fixture's body: yields `open_store`, closing every store it opened once the test ends.

    `at_most` refuses more stores than the backend lets one database have.
    """
    stores: list[S] = []

    def make(*args: P.args, **kwargs: P.kwargs) -> S:
        assert at_most is None or len(stores) < at_most, f"at most {at_most} store(s) here"
        store = open_store(*args, **kwargs)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


MAX_TS = 2**63 - 1


def tablet(n: int) -> bytes:
    return b"T" + n.to_bytes(15, "big")


def doc_id(n: int) -> bytes:
    return b"D" + n.to_bytes(15, "big")


def index(n: int) -> bytes:
    return b"I" + n.to_bytes(15, "big")


TB = tablet(1)
IX = index(1)


def rev(
    ts: int, n: int, value: Any = None, *, prev_ts: int | None = None, tb: bytes = TB
) -> DocumentRevision:
    """A revision of document `n`; `value=None` makes a tombstone."""
    return DocumentRevision(
        tb, doc_id(n), ts, None if value is None else json.dumps(value), prev_ts
    )


def live(ts: int, key: bytes, n: int, *, ix: bytes = IX, tb: bytes = TB) -> IndexEntry:
    return IndexEntry(ix, key, ts, False, tb, doc_id(n))


def gone(ts: int, key: bytes, *, ix: bytes = IX) -> IndexEntry:
    return IndexEntry(ix, key, ts, True, None, None)


def put(store: Persistence, ts: int, key: bytes, n: int, value: Any, prev_ts: int | None = None):
    """One commit writing document `n` whose only index key is `key`."""
    store.write([rev(ts, n, value, prev_ts=prev_ts)], [live(ts, key, n)])


def keys_of(rows: list[IndexRow]) -> list[bytes]:
    return [r.key for r in rows]


def summary(rows: list[IndexRow]) -> list[tuple[bytes, int, Any]]:
    """(key, ts, value or 'DELETED') per row, to compare scans at a glance."""
    return [
        (r.key, r.ts, "DELETED" if r.document is None else json.loads(r.document.json_value or ""))
        for r in rows
    ]


def scan_all(
    store: Persistence,
    ts: int,
    start: bytes = b"",
    end: bytes | None = None,
    order: str = "asc",
    page: int = 3,
    ix: bytes = IX,
) -> list[IndexRow]:
    """Walk an interval page by page the way the database layer does."""
    rows: list[IndexRow] = []
    lo, hi = start, end
    while True:
        batch = store.index_scan(ix, ts, lo, hi, order, page)  # type: ignore[arg-type]
        rows.extend(batch)
        if len(batch) < page:
            return rows
        last = batch[-1].key
        if order == "asc":
            lo = last + b"\x00"
        else:
            hi = last


class ReferenceModel:
    """The obvious, slow definition of every read, for model-based tests."""

    def __init__(self) -> None:
        self.documents: dict[tuple[int, bytes, bytes], DocumentRevision] = {}
        self.index: dict[tuple[bytes, bytes, int], IndexEntry] = {}
        self.globals: dict[str, Any] = {}

    def write(self, documents, indexes, globals_=None) -> None:
        for d in documents:
            self.documents[(d.ts, d.tablet_id, d.internal_id)] = d
        for e in indexes:
            self.index[(e.index_id, e.key, e.ts)] = e
        self.globals.update(json.loads(json.dumps(globals_ or {})))

    def index_scan(self, index_id, ts, start, end, order, limit) -> list[IndexRow]:
        newest: dict[bytes, IndexEntry] = {}
        for (iid, key, ets), e in self.index.items():
            if iid != index_id or ets > ts or key < start or (end is not None and key >= end):
                continue
            if key not in newest or newest[key].ts < ets:
                newest[key] = e
        keys = sorted(newest, reverse=order == "desc")[: max(limit, 0)]
        rows = []
        for k in keys:
            e = newest[k]
            doc = None if e.deleted else self.documents[(e.ts, e.tablet_id, e.internal_id)]
            rows.append(IndexRow(k, e.ts, doc))
        return rows

    def get_document(self, tablet_id, internal_id, ts) -> DocumentRevision | None:
        found = [
            d
            for (dts, tb, i), d in self.documents.items()
            if tb == tablet_id and i == internal_id and dts <= ts
        ]
        return max(found, key=lambda d: d.ts) if found else None

    def load_documents(self, min_ts, max_ts, order="asc") -> list[DocumentRevision]:
        keys = sorted(k for k in self.documents if min_ts <= k[0] < max_ts)
        if order == "desc":
            keys.reverse()
        return [self.documents[k] for k in keys]

    def max_ts(self) -> int:
        return max((k[0] for k in self.documents), default=0)

    def delete(self, documents, indexes, globals_=None) -> None:
        for key in documents:
            self.documents.pop(key, None)
        for key in indexes:
            self.index.pop(key, None)
        self.globals.update(json.loads(json.dumps(globals_ or {})))

    def expired(self, floor: int) -> tuple[list, list]:
        """Every row no snapshot at or above `floor` can see, by primary key: rows with a newer
        row for the same document (index key) at or below `floor`, and tombstones there."""

        def invisible(rows: dict, same: Callable, deleted: Callable) -> list:
            keys = sorted(rows, key=lambda k: (same(k), k))
            gone = []
            for i, key in enumerate(keys):
                nxt = keys[i + 1] if i + 1 < len(keys) else None
                superseded = nxt is not None and same(nxt) == same(key) and ts_of(nxt) <= floor
                if superseded or (deleted(rows[key]) and ts_of(key) <= floor):
                    gone.append(key)
            return gone

        def ts_of(key: tuple) -> int:
            return key[0] if isinstance(key[0], int) else key[2]

        documents = invisible(
            self.documents, lambda k: (k[1], k[2]), lambda d: d.json_value is None
        )
        indexes = invisible(self.index, lambda k: (k[0], k[1]), lambda e: e.deleted)
        return documents, indexes


class PersistenceConformance:
    """Behaviour every backend shares; subclasses supply the fixtures (see module doc)."""

    @pytest.fixture
    def store(self, persistence_factory: Factory) -> Persistence:
        return persistence_factory()

    @pytest.fixture
    def reopen_factory(self) -> Factory:
        pytest.skip("this backend does not keep data across close()")

    # --- empty store -------------------------------------------------------

    def test_empty_store_reads_nothing(self, store: Persistence) -> None:
        assert store.max_ts() == 0
        assert store.get_document(TB, doc_id(1), MAX_TS) is None
        assert store.index_scan(IX, MAX_TS, b"", None, "asc", 10) == []
        assert store.index_scan(IX, MAX_TS, b"", None, "desc", 10) == []
        assert list(store.load_documents(0, MAX_TS)) == []
        assert store.get_global("tables_table_id") is None

    def test_empty_write_is_a_no_op(self, store: Persistence) -> None:
        store.write([], [])
        store.write([], [], {})
        assert store.max_ts() == 0

    # --- point reads ---------------------------------------------------------

    def test_get_document_before_at_and_after_each_revision(self, store: Persistence) -> None:
        put(store, 10, b"k", 1, {"v": 1})
        store.write([rev(20, 1, {"v": 2}, prev_ts=10)], [gone(20, b"k"), live(20, b"k2", 1)])
        store.write([rev(30, 1, None, prev_ts=20)], [gone(30, b"k2")])

        assert store.get_document(TB, doc_id(1), 9) is None
        first = store.get_document(TB, doc_id(1), 10)
        assert first == DocumentRevision(TB, doc_id(1), 10, json.dumps({"v": 1}), None)
        assert store.get_document(TB, doc_id(1), 19) == first
        second = store.get_document(TB, doc_id(1), 25)
        assert second is not None and second.ts == 20 and second.prev_ts == 10
        assert json.loads(second.json_value or "") == {"v": 2}
        tombstone = store.get_document(TB, doc_id(1), 30)
        assert tombstone == DocumentRevision(TB, doc_id(1), 30, None, 20)
        assert tombstone.deleted
        assert store.get_document(TB, doc_id(1), MAX_TS) == tombstone
        assert store.get_document(TB, doc_id(1), 2**64) == tombstone

    def test_get_document_keeps_tablets_and_ids_apart(self, store: Persistence) -> None:
        store.write(
            [rev(5, 1, "a"), rev(5, 1, "b", tb=tablet(2)), rev(5, 2, "c")],
            [live(5, b"a", 1), live(5, b"b", 1, tb=tablet(2)), live(5, b"c", 2)],
        )
        assert store.get_document(TB, doc_id(1), 5).json_value == '"a"'
        assert store.get_document(tablet(2), doc_id(1), 5).json_value == '"b"'
        assert store.get_document(TB, doc_id(2), 5).json_value == '"c"'
        assert store.get_document(tablet(2), doc_id(2), 5) is None
        assert store.get_document(TB, doc_id(3), 5) is None

    def test_insert_then_delete_in_one_commit_is_a_tombstone_without_prev(
        self, store: Persistence
    ) -> None:
        store.write([rev(7, 1, None)], [])
        got = store.get_document(TB, doc_id(1), 7)
        assert got is not None and got.deleted and got.prev_ts is None

    # --- index scans ---------------------------------------------------------

    def test_index_scan_returns_newest_revision_at_or_below_ts(self, store: Persistence) -> None:
        put(store, 10, b"a", 1, "a@10")
        put(store, 11, b"b", 2, "b@11")
        put(store, 20, b"a", 1, "a@20", prev_ts=10)
        put(store, 30, b"a", 1, "a@30", prev_ts=20)

        assert summary(store.index_scan(IX, 9, b"", None, "asc", 10)) == []
        assert summary(store.index_scan(IX, 10, b"", None, "asc", 10)) == [(b"a", 10, "a@10")]
        assert summary(store.index_scan(IX, 25, b"", None, "asc", 10)) == [
            (b"a", 20, "a@20"),
            (b"b", 11, "b@11"),
        ]
        assert summary(store.index_scan(IX, MAX_TS, b"", None, "desc", 10)) == [
            (b"b", 11, "b@11"),
            (b"a", 30, "a@30"),
        ]

    def test_index_scan_document_is_the_revision_at_the_entry_ts(self, store: Persistence) -> None:
        put(store, 10, b"a", 1, "old")
        store.write([rev(20, 1, "new", prev_ts=10)], [gone(20, b"a"), live(20, b"z", 1)])
        (row,) = store.index_scan(IX, 15, b"", None, "asc", 10)
        assert row.document == DocumentRevision(TB, doc_id(1), 10, '"old"', None)
        rows = store.index_scan(IX, 20, b"", None, "asc", 10)
        assert rows[0] == IndexRow(b"a", 20, None)
        assert rows[1].document == DocumentRevision(TB, doc_id(1), 20, '"new"', 10)

    def test_tombstoned_keys_are_reported_without_a_document(self, store: Persistence) -> None:
        put(store, 10, b"a", 1, "a")
        put(store, 10 + 1, b"b", 2, "b")
        store.write([rev(12, 1, None, prev_ts=10)], [gone(12, b"a")])
        assert store.index_scan(IX, 12, b"", None, "asc", 10)[0] == IndexRow(b"a", 12, None)
        assert summary(store.index_scan(IX, 11, b"", None, "asc", 10))[0] == (b"a", 10, "a")
        put(store, 13, b"a", 3, "reused key")
        assert summary(store.index_scan(IX, 13, b"", None, "asc", 1)) == [(b"a", 13, "reused key")]

    def test_interval_start_inclusive_end_exclusive(self, store: Persistence) -> None:
        for n, key in enumerate([b"a", b"b", b"c", b"d"], start=1):
            put(store, n, key, n, key.decode())
        for order in ("asc", "desc"):
            got = keys_of(store.index_scan(IX, 10, b"b", b"d", order, 10))
            assert got == ([b"b", b"c"] if order == "asc" else [b"c", b"b"])
            got = keys_of(store.index_scan(IX, 10, b"b", None, order, 10))
            assert got == ([b"b", b"c", b"d"] if order == "asc" else [b"d", b"c", b"b"])
            assert keys_of(store.index_scan(IX, 10, b"bb", b"c\x00", order, 10)) == [b"c"]

    def test_empty_intervals_and_zero_limit(self, store: Persistence) -> None:
        put(store, 1, b"a", 1, "a")
        for order in ("asc", "desc"):
            assert store.index_scan(IX, 10, b"a", b"a", order, 10) == []
            assert store.index_scan(IX, 10, b"b", b"a", order, 10) == []
            assert store.index_scan(IX, 10, b"a\x00", None, order, 10) == []
            assert store.index_scan(IX, 10, b"", None, order, 0) == []

    def test_limit_counts_distinct_keys_including_tombstones(self, store: Persistence) -> None:
        put(store, 1, b"a", 1, "a")
        put(store, 2, b"a", 1, "a2", prev_ts=1)
        put(store, 3, b"b", 2, "b")
        store.write([rev(4, 2, None, prev_ts=3)], [gone(4, b"b")])
        put(store, 5, b"c", 3, "c")
        put(store, 50, b"bb", 4, "future")

        assert summary(store.index_scan(IX, 10, b"", None, "asc", 2)) == [
            (b"a", 2, "a2"),
            (b"b", 4, "DELETED"),
        ]
        assert summary(store.index_scan(IX, 10, b"", None, "desc", 2)) == [
            (b"c", 5, "c"),
            (b"b", 4, "DELETED"),
        ]
        # `bb` has no row at ts 10, so it takes no room in the page.
        assert keys_of(store.index_scan(IX, 10, b"", None, "asc", 3)) == [b"a", b"b", b"c"]

    @pytest.mark.parametrize("order", ["asc", "desc"])
    def test_paging_walk_sees_every_key_once(self, store: Persistence, order: str) -> None:
        keys = [bytes([i]) * (1 + i % 3) for i in range(0, 256, 7)]
        for n, key in enumerate(keys, start=1):
            put(store, n, key, n, n)
        for n in range(1, len(keys), 4):
            store.write([rev(100 + n, n, None, prev_ts=n)], [gone(100 + n, keys[n - 1])])
        expected = sorted(keys, reverse=order == "desc")
        for page in (1, 2, 5, 100):
            got = scan_all(store, MAX_TS, order=order, page=page)
            assert keys_of(got) == expected
            assert keys_of(scan_all(store, 20, order=order, page=page)) == sorted(
                keys[:20], reverse=order == "desc"
            )

    def test_keys_compare_as_unsigned_bytes_with_prefixes(self, store: Persistence) -> None:
        keys = [
            b"",
            b"\x00",
            b"\x00\x00",
            b"\x00\xff",
            b"\x01",
            b"a",
            b"a\x00",
            b"a\x00\x00",
            b"a\x01",
            b"a\xff",
            b"a\xff\xff",
            b"ab",
            b"\x7f",
            b"\x80",
            b"\xfe\xff",
            b"\xff",
            b"\xff\x00",
            b"\xff\xff",
            b"\xff\xff\xff",
        ]
        shuffled = keys[:]
        random.Random(7).shuffle(shuffled)
        store.write(
            [rev(1, n, n) for n in range(len(shuffled))],
            [live(1, key, n) for n, key in enumerate(shuffled)],
        )
        assert keys_of(store.index_scan(IX, 1, b"", None, "asc", 100)) == sorted(keys)
        assert keys_of(store.index_scan(IX, 1, b"", None, "desc", 100)) == sorted(keys)[::-1]
        assert keys_of(store.index_scan(IX, 1, b"a", b"a\xff", "asc", 100)) == [
            b"a",
            b"a\x00",
            b"a\x00\x00",
            b"a\x01",
            b"ab",
        ]
        assert keys_of(store.index_scan(IX, 1, b"a\x00", b"a\x01", "desc", 100)) == [
            b"a\x00\x00",
            b"a\x00",
        ]
        assert keys_of(store.index_scan(IX, 1, b"\xff", None, "asc", 100)) == [
            b"\xff",
            b"\xff\x00",
            b"\xff\xff",
            b"\xff\xff\xff",
        ]
        assert keys_of(store.index_scan(IX, 1, b"", b"\x00", "asc", 100)) == [b""]

    def test_scans_stay_within_their_index(self, store: Persistence) -> None:
        neighbours = [b"I" + bytes(14) + b"\x00", IX, b"I" + bytes(14) + b"\x02", IX + b"\x00"]
        store.write(
            [rev(1, n, n) for n in range(len(neighbours))],
            [live(1, b"k", n, ix=ix) for n, ix in enumerate(neighbours)],
        )
        for n, ix in enumerate(neighbours):
            for order in ("asc", "desc"):
                for end in (None, b"l"):
                    rows = store.index_scan(ix, 1, b"", end, order, 10)
                    assert [r.document.internal_id for r in rows] == [doc_id(n)]
        assert store.index_scan(index(9), 1, b"", None, "asc", 10) == []

    def test_live_index_entry_without_its_document_is_corruption(self, store: Persistence) -> None:
        store.write([], [live(5, b"k", 1)])
        with pytest.raises(CorruptedStoreError):
            store.index_scan(IX, 5, b"", None, "asc", 10)

    # --- document log ------------------------------------------------------

    def test_load_documents_orders_by_ts_tablet_id(self, store: Persistence) -> None:
        store.write([rev(20, 2, "x", tb=tablet(1)), rev(20, 1, "y", tb=tablet(2))], [])
        store.write([rev(10, 3, "z"), rev(10, 1, "w")], [])
        store.write([rev(30, 1, None, prev_ts=10)], [])
        expected = [
            (10, TB, doc_id(1)),
            (10, TB, doc_id(3)),
            (20, tablet(1), doc_id(2)),
            (20, tablet(2), doc_id(1)),
            (30, TB, doc_id(1)),
        ]

        def ids(docs: Iterator[DocumentRevision]) -> list[tuple[int, bytes, bytes]]:
            return [(d.ts, d.tablet_id, d.internal_id) for d in docs]

        assert ids(store.load_documents(0, MAX_TS)) == expected
        assert ids(store.load_documents(0, 2**64, "desc")) == expected[::-1]
        assert ids(store.load_documents(10, 30)) == expected[:4]
        assert ids(store.load_documents(11, 31, "desc")) == expected[2:][::-1]
        assert ids(store.load_documents(20, 21)) == expected[2:4]
        assert ids(store.load_documents(20, 20)) == []
        assert ids(store.load_documents(30, 10)) == []
        assert ids(store.load_documents(-5, 11)) == expected[:2]
        tomb = list(store.load_documents(30, 31))[0]
        assert tomb.deleted and tomb.prev_ts == 10

    @pytest.mark.parametrize("order", ["asc", "desc"])
    def test_load_documents_pages_through_large_logs(self, store: Persistence, order: str) -> None:
        n = 2600
        store.write([rev(1 + i // 3, i, i) for i in range(n)], [])
        docs = list(store.load_documents(0, MAX_TS, order))  # type: ignore[arg-type]
        keys = [(d.ts, d.tablet_id, d.internal_id) for d in docs]
        assert len(keys) == n and len(set(keys)) == n
        assert keys == sorted(keys, reverse=order == "desc")

    def test_load_documents_iterator_does_not_block_writes(self, store: Persistence) -> None:
        store.write([rev(1 + i, i, i) for i in range(2500)], [])
        it = store.load_documents(0, 2501)
        first = next(it)
        writer = threading.Thread(
            target=lambda: store.write([rev(5000 + i, i, i) for i in range(10)], [])
        )
        writer.start()
        writer.join(timeout=10)
        assert not writer.is_alive(), "a write blocked while a log scan was open"
        store.write([rev(6000, 1, "same thread", prev_ts=5000)], [])
        rest = list(it)
        assert [d.ts for d in [first, *rest]] == list(range(1, 2501))
        assert store.max_ts() == 6000

    # --- max_ts --------------------------------------------------------------

    def test_max_ts_is_the_largest_document_ts(self, store: Persistence) -> None:
        store.write([rev(50, 1, "a")], [])
        store.write([rev(20, 2, "b")], [])
        assert store.max_ts() == 50
        store.write([], [live(90, b"k", 1)])
        store.write([], [], {"max_repeatable_ts": 1000})
        assert store.max_ts() == 50
        store.write([rev(MAX_TS, 1, None, prev_ts=50)], [])
        assert store.max_ts() == MAX_TS

    # --- globals -------------------------------------------------------------

    @pytest.mark.parametrize(
        "value",
        [
            None,
            True,
            False,
            0,
            -17,
            2**63 - 1,
            2**80,
            1.5,
            -0.25,
            1e300,
            "",
            "base64url_id-_",
            'ünïcødé \u2028 🎉 "quoted" \\ \x00',
            [],
            {},
            [1, "two", None, [3.5, {"four": [5]}]],
            {"nested": {"list": [True, False, None], "n": 1}, "": "empty key"},
        ],
    )
    def test_global_round_trips_json_values(self, store: Persistence, value: Any) -> None:
        store.write([], [], {"g": value})
        got = store.get_global("g")
        assert got == value and type(got) is type(value)

    def test_globals_are_written_with_rows_and_overwritten(self, store: Persistence) -> None:
        store.write(
            [rev(1, 1, "a")],
            [live(1, b"a", 1)],
            {"tables_table_id": "AAAA", "max_repeatable_ts": 1},
        )
        assert store.get_global("tables_table_id") == "AAAA"
        assert store.get_global("max_repeatable_ts") == 1
        store.write([], [], {"max_repeatable_ts": {"ts": 2}})
        assert store.get_global("max_repeatable_ts") == {"ts": 2}
        assert store.get_global("tables_table_id") == "AAAA"
        assert store.get_global("missing") is None

    def test_global_values_are_copies(self, store: Persistence) -> None:
        value = {"a": [1]}
        store.write([], [], {"g": value})
        value["a"].append(2)
        got = store.get_global("g")
        got["a"].append(3)
        assert store.get_global("g") == {"a": [1]}

    @pytest.mark.parametrize(
        "bad", [{"g": float("nan")}, {"g": float("inf")}, {"g": object()}, {1: "x"}]
    )
    def test_unserializable_globals_write_nothing(self, store: Persistence, bad: dict) -> None:
        with pytest.raises(InvalidWriteError):
            store.write([rev(1, 1, "a")], [live(1, b"a", 1)], bad)
        assert store.max_ts() == 0
        assert store.index_scan(IX, MAX_TS, b"", None, "asc", 10) == []
        assert store.get_global("g") is None

    # --- failed writes -------------------------------------------------------

    def test_duplicate_document_write_leaves_nothing_behind(self, store: Persistence) -> None:
        put(store, 10, b"a", 1, "original")
        with pytest.raises(DuplicateRowError) as info:
            store.write(
                [rev(11, 2, "new"), rev(10, 1, "clash")],
                [live(11, b"b", 2)],
                {"max_repeatable_ts": 11},
            )
        assert info.value.code == "PersistenceDuplicateRow"
        assert "already stored" in info.value.message
        self._assert_only_original(store)

    def test_duplicate_index_entry_leaves_nothing_behind(self, store: Persistence) -> None:
        put(store, 10, b"a", 1, "original")
        with pytest.raises(DuplicateRowError):
            store.write(
                [rev(11, 2, "new")],
                [live(11, b"b", 2), gone(10, b"a")],
                {"max_repeatable_ts": 11},
            )
        self._assert_only_original(store)

    def test_duplicate_within_one_write_leaves_nothing_behind(self, store: Persistence) -> None:
        put(store, 10, b"a", 1, "original")
        with pytest.raises(DuplicateRowError) as info:
            store.write([rev(11, 2, "x"), rev(11, 2, "y")], [live(11, b"b", 2)])
        assert "twice" in info.value.message
        with pytest.raises(DuplicateRowError):
            store.write([rev(11, 2, "x")], [live(11, b"b", 2), gone(11, b"b")])
        self._assert_only_original(store)

    def _assert_only_original(self, store: Persistence) -> None:
        assert store.max_ts() == 10
        assert summary(store.index_scan(IX, MAX_TS, b"", None, "asc", 10)) == [
            (b"a", 10, "original")
        ]
        assert store.get_document(TB, doc_id(2), MAX_TS) is None
        assert [d.ts for d in store.load_documents(0, MAX_TS)] == [10]
        assert store.get_global("max_repeatable_ts") is None
        put(store, 11, b"b", 2, "after failure")
        assert keys_of(store.index_scan(IX, 11, b"", None, "asc", 10)) == [b"a", b"b"]

    @pytest.mark.parametrize(
        "documents, indexes",
        [
            ([rev(-1, 1, "a")], []),
            ([rev(2**63, 1, "a")], []),
            ([rev(5, 1, "a", prev_ts=5)], []),
            ([rev(5, 1, "a", prev_ts=-1)], []),
            ([], [IndexEntry(IX, b"k", 5, False, None, None)]),
            ([], [IndexEntry(IX, b"k", 5, False, TB, None)]),
            ([], [IndexEntry(IX, b"k", 5, True, TB, doc_id(1))]),
            ([], [gone(2**63, b"k")]),
        ],
    )
    def test_invalid_rows_are_refused_before_writing(
        self, store: Persistence, documents: list, indexes: list
    ) -> None:
        with pytest.raises(InvalidWriteError):
            store.write([rev(1, 9, "ok"), *documents], [live(1, b"ok", 9), *indexes], {"g": 1})
        assert store.max_ts() == 0
        assert store.get_global("g") is None
        assert store.index_scan(IX, MAX_TS, b"", None, "asc", 10) == []

    # --- lifecycle -----------------------------------------------------------

    def test_closed_store_refuses_use(self, persistence_factory: Factory) -> None:
        store = persistence_factory()
        put(store, 1, b"a", 1, "a")
        store.close()
        store.close()
        calls: list[Callable[[], Any]] = [
            lambda: store.write([rev(2, 2, "b")], []),
            lambda: store.index_scan(IX, 1, b"", None, "asc", 1),
            lambda: store.get_document(TB, doc_id(1), 1),
            lambda: list(store.load_documents(0, 10)),
            store.max_ts,
            lambda: store.get_global("g"),
        ]
        for call in calls:
            with pytest.raises(StoreClosedError):
                call()

    def test_data_survives_close_and_reopen(self, reopen_factory: Factory) -> None:
        store = reopen_factory()
        put(store, 10, b"a", 1, "a")
        store.write(
            [rev(20, 1, None, prev_ts=10), rev(20, 2, "b")],
            [gone(20, b"a"), live(20, b"b", 2)],
            {"max_repeatable_ts": 25, "tables_table_id": "X"},
        )
        with pytest.raises(DuplicateRowError):
            store.write([rev(30, 3, "lost")], [live(20, b"b", 2)], {"max_repeatable_ts": 99})
        store.close()

        store = reopen_factory()
        assert store.max_ts() == 20
        assert store.get_global("max_repeatable_ts") == 25
        assert store.get_global("tables_table_id") == "X"
        assert summary(store.index_scan(IX, 15, b"", None, "asc", 10)) == [(b"a", 10, "a")]
        assert summary(store.index_scan(IX, 20, b"", None, "asc", 10)) == [
            (b"a", 20, "DELETED"),
            (b"b", 20, "b"),
        ]
        assert store.get_document(TB, doc_id(1), 20) == rev(20, 1, None, prev_ts=10)
        assert store.get_document(TB, doc_id(3), MAX_TS) is None
        put(store, 40, b"c", 3, "c")
        store.close()

        store = reopen_factory()
        assert store.max_ts() == 40
        assert [d.ts for d in store.load_documents(0, MAX_TS)] == [10, 20, 20, 40]
        store.close()

    # --- concurrency ---------------------------------------------------------

    def test_concurrent_readers_see_consistent_snapshots(self, store: Persistence) -> None:
        """Readers race a writer moving balances between accounts.

        Each commit moves one unit between two accounts, rewriting both
        documents, their entries in a by-name index (same key, new revision)
        and in a by-balance index (old key tombstoned, new key added). At any
        ts, including one whose commit is in flight, a reader must see all of
        a commit or none of it: the total never changes, every account is
        present exactly once, and at published timestamps the state equals
        the precomputed one.
        """
        accounts, total_commits, start_balance = 8, 300, 100
        by_name, by_balance = index(1), index(2)
        rng = random.Random(1234)

        def balance_key(balance: int, n: int) -> bytes:
            return balance.to_bytes(4, "big") + doc_id(n)

        balances = {n: start_balance for n in range(accounts)}
        last_ts = dict.fromkeys(range(accounts), 1)
        history = {1: dict(balances)}
        genesis_docs = [rev(1, n, start_balance) for n in range(accounts)]
        genesis_index = [live(1, b"acct%d" % n, n, ix=by_name) for n in range(accounts)] + [
            live(1, balance_key(start_balance, n), n, ix=by_balance) for n in range(accounts)
        ]
        commits = []
        for ts in range(2, total_commits + 2):
            src, dst = rng.sample(range(accounts), 2)
            docs, entries = [], []
            for n, delta in ((src, -1), (dst, 1)):
                old = balances[n]
                balances[n] = old + delta
                docs.append(rev(ts, n, balances[n], prev_ts=last_ts[n]))
                entries.append(live(ts, b"acct%d" % n, n, ix=by_name))
                entries.append(gone(ts, balance_key(old, n), ix=by_balance))
                entries.append(live(ts, balance_key(balances[n], n), n, ix=by_balance))
                last_ts[n] = ts
            commits.append((ts, docs, entries))
            history[ts] = dict(balances)

        store.write(genesis_docs, genesis_index)
        published = [1]
        done = threading.Event()
        failures: list[str] = []
        reads = [0]

        def reader(seed: int) -> None:
            local = random.Random(seed)
            count = 0
            try:
                while not done.is_set() or count < 30:
                    count += 1
                    settled = published[0]
                    ts = local.randint(0, settled + 2)
                    names = store.index_scan(by_name, ts, b"", None, "asc", 100)
                    order = local.choice(["asc", "desc"])
                    ranked = store.index_scan(by_balance, ts, b"", None, order, 10**6)
                    if ts < 1:
                        if names or ranked:
                            failures.append(f"rows before genesis at ts {ts}")
                        continue
                    values = [json.loads(r.document.json_value) for r in names]
                    if len(values) != accounts or sum(values) != accounts * start_balance:
                        failures.append(f"by_name torn at ts {ts}: {values}")
                    ranked_values = [
                        json.loads(r.document.json_value) for r in ranked if r.document is not None
                    ]
                    if sum(ranked_values) != accounts * start_balance:
                        failures.append(f"by_balance torn at ts {ts}: {ranked_values}")
                    if ts <= settled:
                        expected = history[ts]
                        if values != [expected[n] for n in range(accounts)]:
                            failures.append(f"wrong snapshot at ts {ts}")
                        if sorted(ranked_values) != sorted(values):
                            failures.append(f"indexes disagree at ts {ts}")
                        n = local.randrange(accounts)
                        doc = store.get_document(TB, doc_id(n), ts)
                        if doc is None or json.loads(doc.json_value) != expected[n]:
                            failures.append(f"get_document disagrees at ts {ts}")
                    reads[0] += 1
            except Exception as exc:  # pragma: no cover - reported below
                failures.append(repr(exc))

        threads = [threading.Thread(target=reader, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        try:
            for ts, docs, entries in commits:
                store.write(docs, entries)
                published[0] = ts
        finally:
            done.set()
            for t in threads:
                t.join(timeout=30)
        assert not failures, failures[:5]
        assert reads[0] > 50

    # --- model-based ---------------------------------------------------------

    @pytest.mark.parametrize("seed", range(6))
    def test_matches_reference_model_on_random_histories(
        self, store: Persistence, seed: int
    ) -> None:
        rng = random.Random(seed)
        model = ReferenceModel()
        history = RandomHistory(rng)
        for ts in history.write(store, model, 120):
            if rng.random() < 0.2:
                self._compare_with_model(store, model, rng, ts, history, 10)
        self._compare_with_model(store, model, rng, history.ts, history, 150)

    # --- retention -------------------------------------------------------------

    def test_delete_removes_rows_by_primary_key_and_sets_globals(self, store: Persistence) -> None:
        put(store, 1, b"a", 1, "a1")
        put(store, 2, b"a", 1, "a2", prev_ts=1)
        store.write([rev(3, 1, None, prev_ts=2)], [gone(3, b"a")])
        deleted = store.delete(
            [(1, TB, doc_id(1)), (3, TB, doc_id(1)), (9, TB, doc_id(1))],
            [(IX, b"a", 1), (IX, b"a", 3), (IX, b"zz", 1)],
            {"min_snapshot_ts": 3},
        )
        assert deleted == (2, 2)
        assert store.get_global("min_snapshot_ts") == 3
        assert store.get_document(TB, doc_id(1), 1) is None
        assert store.get_document(TB, doc_id(1), MAX_TS) == rev(2, 1, "a2", prev_ts=1)
        assert summary(store.index_scan(IX, MAX_TS, b"", None, "asc", 5)) == [(b"a", 2, "a2")]
        assert [d.ts for d in store.load_documents(0, MAX_TS)] == [2]
        assert store.delete([(1, TB, doc_id(1))], [(IX, b"a", 1)]) == (0, 0), "idempotent"
        put(store, 4, b"b", 2, "b")  # the store goes on taking writes
        assert store.max_ts() == 4

    def test_delete_of_nothing_still_sets_globals(self, store: Persistence) -> None:
        assert store.delete([], [], {"confirmed_deleted_ts": 7}) == (0, 0)
        assert store.get_global("confirmed_deleted_ts") == 7

    def test_purge_index_deletes_one_index_a_batch_at_a_time(self, store: Persistence) -> None:
        other = index(2)
        for n in range(4):
            store.write(
                [rev(1, n, n)],
                [live(1, bytes([n]), n), live(1, bytes([n]), n, ix=other)],
            )
        store.write([rev(2, 0, 9, prev_ts=1)], [gone(2, b"\x00"), live(2, b"\x09", 0)])
        assert store.purge_index(IX, 3) == 3
        assert store.purge_index(IX, 3) == 3
        assert store.purge_index(IX, 3) == 0
        assert store.index_scan(IX, MAX_TS, b"", None, "asc", 10) == []
        assert keys_of(store.index_scan(other, MAX_TS, b"", None, "asc", 10)) == [
            bytes([n]) for n in range(4)
        ]

    def test_delete_of_long_keys_matches_the_full_key(self, store: Persistence) -> None:
        """Servers key long index keys by prefix and hash: only the exact key is deleted."""
        prefix = b"k" * 3000
        put(store, 1, prefix + b"1", 1, "one")
        put(store, 2, prefix + b"2", 2, "two")
        assert store.delete([], [(IX, prefix + b"1", 1), (IX, prefix + b"2", 1)]) == (0, 1)
        assert keys_of(store.index_scan(IX, MAX_TS, b"", None, "asc", 5)) == [prefix + b"2"]

    @pytest.mark.parametrize("seed", range(4))
    def test_retention_deletes_leave_snapshots_at_or_above_the_floor_intact(
        self, store: Persistence, seed: int
    ) -> None:
        """Deleting every row no snapshot at or above a floor can see (superseded rows and
        tombstones, spec/database.md §4.9) changes no read at or above the floor."""
        rng = random.Random(seed)
        model = ReferenceModel()
        history = RandomHistory(rng)
        for _ in history.write(store, model, 100):
            pass
        floor = rng.randint(0, history.ts)
        documents, indexes = model.expired(floor)
        assert documents and indexes
        globals_ = {"min_snapshot_ts": floor}
        assert store.delete(documents, indexes, globals_) == (len(documents), len(indexes))
        self._compare_with_model(store, model, rng, history.ts, history, 80, min_ts=floor)
        model.delete(documents, indexes, globals_)
        assert store.get_global("min_snapshot_ts") == floor
        self._compare_with_model(store, model, rng, history.ts, history, 40)

    def test_retention_keeps_latest_revisions_and_pinned_snapshots(
        self, store: Persistence
    ) -> None:
        """The database's retention over this backend: a churned document keeps only its
        latest revision, a deleted one disappears, an in-flight transaction older than the
        floor still reads its snapshot, and a fresh read below the floor is refused."""
        db = Database(store)
        db.apply_indexes({"t": {"by_v": ["v"]}})
        tx = db.begin()
        churned, removed, kept = (tx.insert("t", {"v": float(n)}) for n in range(3))
        db.commit(tx)
        for n in range(40):
            tx = db.begin()
            tx.patch(churned, {"v": float(100 + n)})
            db.commit(tx)
        pinned = db.begin(read_only=True)
        before = _read_all(pinned)
        tx = db.begin()
        tx.patch(churned, {"v": 1000.0})
        tx.delete(removed)
        db.commit(tx)
        rows_before = len(list(store.load_documents(0, MAX_TS)))

        first = db.run_retention(0)
        assert first.min_snapshot_ts == pinned.begin_ts, "the in-flight snapshot holds the floor"
        assert first.documents_deleted >= 40 and first.index_entries_deleted >= 40
        assert _read_all(pinned) == before
        del pinned, tx  # nothing in flight any more
        stats = db.run_retention(0)
        assert stats.min_snapshot_ts == db.latest_ts
        # the churned document's previous revision, the removed one's insert and tombstone
        assert stats.documents_deleted == first.documents_deleted + 3
        assert len(list(store.load_documents(0, MAX_TS))) == rows_before - stats.documents_deleted
        with pytest.raises(OutOfRetention) as refused:
            db.begin_at(db.latest_ts - 1)
        assert refused.value.code == "InternalServerError"
        assert "out of retention window" in str(refused.value)
        fresh = db.begin(read_only=True)
        assert fresh.get(removed) is None
        assert [d["v"] for d in _read_all(fresh)] == [2.0, 1000.0]
        assert fresh.get(kept) is not None and fresh.get(churned)["v"] == 1000.0
        assert db.run_retention(0).documents_deleted == stats.documents_deleted, "nothing left"

    def _compare_with_model(
        self,
        store: Persistence,
        model: ReferenceModel,
        rng: random.Random,
        max_ts: int,
        history: RandomHistory,
        rounds: int,
        *,
        min_ts: int | None = None,
    ) -> None:
        """Random reads against the model; with `min_ts`, only snapshot reads at or above it."""
        indexes, tablets, ids = history.indexes, history.tablets, history.next_id
        if min_ts is None:
            assert store.max_ts() == model.max_ts()
        assert store.get_global("max_repeatable_ts") == model.globals.get("max_repeatable_ts")
        bounds = [b"", b"\x00", b"a", b"a\x00", b"\x7f", b"\xff", b"\xff\xff", None]
        low = 0 if min_ts is None else min_ts
        for _ in range(rounds):
            ts = rng.choice([low, rng.randint(low, max_ts + 2), max_ts, MAX_TS])
            ix = rng.choice(indexes)
            start = rng.choice(bounds[:-1]) + rng.choice([b"", b"\x00", b"b"])
            end = rng.choice(bounds)
            order = rng.choice(["asc", "desc"])
            limit = rng.choice([1, 2, 3, 10, 1000])
            walked = scan_all(store, ts, start, end, order, rng.choice([1, 4]), ix)
            expected = model.index_scan(ix, ts, start, end, order, 10**9)
            tb, n = rng.choice(tablets), rng.randrange(ids + 1)
            got = store.get_document(tb, doc_id(n), ts)
            want = model.get_document(tb, doc_id(n), ts)
            if min_ts is not None:
                # Retention may drop tombstones, which read as absent: a page then holds
                # more live keys, so compare what a reader keeps of whole walks.
                assert _live_rows(walked) == _live_rows(expected)
                assert _present(got) == _present(want)
                continue
            assert store.index_scan(ix, ts, start, end, order, limit) == model.index_scan(
                ix, ts, start, end, order, limit
            ), (ix, ts, start, end, order, limit)
            assert walked == expected
            assert got == want
            lo, hi = sorted([rng.randint(0, max_ts + 1), rng.randint(0, max_ts + 1)])
            rows = list(store.load_documents(lo, hi, order))
            assert rows == model.load_documents(lo, hi, order)


class RandomHistory:
    """Commits of random inserts, updates (index keys changing or not) and deletes, written
    as the committer writes them, to a store and a model alike."""

    PIECES = [b"", b"\x00", b"\x01", b"a", b"a\x00", b"ab", b"\x7f", b"\xfe", b"\xff"]

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.indexes = [index(1), index(2)]
        self.tablets = [tablet(1), tablet(2)]
        self.next_id = 0
        self.ts = 0
        self.state: dict[int, tuple[bytes, int, dict[bytes, bytes]]] = {}

    def _key(self, n: int) -> bytes:
        rng = self.rng
        return rng.choice(self.PIECES) + rng.choice(self.PIECES) + n.to_bytes(2, "big")

    def write(self, store: Persistence, model: ReferenceModel, commits: int) -> Iterator[int]:
        """Write `commits` commits, yielding the ts after each storage write."""
        rng, state = self.rng, self.state
        pending: tuple[list, list] = ([], [])
        for _ in range(commits):
            self.ts += rng.choice([1, 1, 2, 1000])
            ts = self.ts
            docs: list[DocumentRevision] = []
            entries: list[IndexEntry] = []
            for n in rng.sample(sorted(state), min(len(state), rng.randint(0, 3))):
                tb, prev, keys = state[n]
                if rng.random() < 0.3:
                    docs.append(DocumentRevision(tb, doc_id(n), ts, None, prev))
                    entries.extend(gone(ts, k, ix=ix) for ix, k in keys.items())
                    del state[n]
                    continue
                docs.append(DocumentRevision(tb, doc_id(n), ts, json.dumps([n, ts]), prev))
                new_keys = {}
                for ix, k in keys.items():
                    nk = self._key(n) if rng.random() < 0.5 else k
                    if nk != k:
                        entries.append(gone(ts, k, ix=ix))
                    entries.append(live(ts, nk, n, ix=ix, tb=tb))
                    new_keys[ix] = nk
                state[n] = (tb, ts, new_keys)
            for _ in range(rng.randint(0, 3)):
                n, self.next_id = self.next_id, self.next_id + 1
                tb = rng.choice(self.tablets)
                keys = {ix: self._key(n) for ix in self.indexes}
                docs.append(DocumentRevision(tb, doc_id(n), ts, json.dumps([n, ts]), None))
                entries.extend(live(ts, k, n, ix=ix, tb=tb) for ix, k in keys.items())
                state[n] = (tb, ts, keys)
            pending[0].extend(docs)
            pending[1].extend(entries)
            if rng.random() < 0.6:
                globals_ = {"max_repeatable_ts": ts} if rng.random() < 0.3 else None
                store.write(pending[0], pending[1], globals_)
                model.write(pending[0], pending[1], globals_)
                pending = ([], [])
                yield ts
        store.write(*pending)
        model.write(*pending)


def _live_rows(rows: list[IndexRow]) -> list[IndexRow]:
    return [r for r in rows if r.document is not None]


def _present(revision: DocumentRevision | None) -> DocumentRevision | None:
    return None if revision is None or revision.deleted else revision


def _read_all(tx: Transaction) -> list[dict[str, Any]]:
    """Every document of table `t` in `by_v` order, as a transaction reads them."""
    index = tx.readable_index("t", "by_v")
    assert index is not None
    return [doc for _, doc in tx.scan(index, Interval.all(), "asc")]
