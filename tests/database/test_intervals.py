from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from convexlite.database.intervals import Interval, IntervalSet, successor_of_prefix


def test_successor_of_prefix() -> None:
    assert successor_of_prefix(b"\x10a") == b"\x10b"
    assert successor_of_prefix(b"\x10\xff") == b"\x11"
    assert successor_of_prefix(b"\x10\xff\xff") == b"\x11"
    assert successor_of_prefix(b"\xfe\xff") == b"\xff"
    assert successor_of_prefix(b"\xff\xff") is None
    assert successor_of_prefix(b"") is None


def test_interval_basics() -> None:
    assert Interval.prefix(b"\x10a") == Interval(b"\x10a", b"\x10b")
    assert Interval.prefix(b"") == Interval.ALL
    single = Interval.singleton(b"k")
    assert single == Interval(b"k", b"k\x00")
    assert single.is_singleton and not Interval.prefix(b"k").is_singleton
    assert single.contains(b"k")
    assert not single.contains(b"k\x00")
    assert not single.contains(b"j\xff")
    assert Interval(b"b", b"a").is_empty and Interval(b"a", b"a").is_empty
    assert not Interval(b"a", None).is_empty
    assert Interval.ALL.contains(b"") and Interval.ALL.contains(b"\xff" * 5)
    assert Interval.all() is Interval.ALL and Interval.ALL.is_all
    assert Interval.EMPTY.is_empty
    assert Interval(b"a", b"c").contains(b"a") and not Interval(b"a", b"c").contains(b"c")


def test_split_after_ascending() -> None:
    interval = Interval(b"\x10a\x00", b"\x10z\x00")
    read, rest = interval.split_after(b"\x10m\x00", "asc")
    assert read == Interval(b"\x10a\x00", b"\x10m\x01")
    assert rest == Interval(b"\x10m\x01", b"\x10z\x00")


def test_split_after_ascending_clamps_to_end() -> None:
    single = Interval.singleton(b"\x10k\x00")
    assert single.split_after(b"\x10k\x00", "asc") == (single, Interval.EMPTY)
    unbounded = Interval(b"", None)
    assert unbounded.split_after(b"\xff\xff", "asc") == (unbounded, Interval.EMPTY)
    read, rest = unbounded.split_after(b"\x10k\x00", "asc")
    assert read == Interval(b"", b"\x10k\x01") and rest == Interval(b"\x10k\x01", None)


def test_split_after_descending() -> None:
    interval = Interval(b"\x10a\x00", None)
    read, rest = interval.split_after(b"\x10m\x00", "desc")
    assert read == Interval(b"\x10m\x00", None)
    assert rest == Interval(b"\x10a\x00", b"\x10m\x00")


def test_interval_set_merges_overlapping_and_adjacent() -> None:
    s = IntervalSet()
    s.add(Interval(b"a", b"c"))
    s.add(Interval(b"e", b"g"))
    assert list(s) == [Interval(b"a", b"c"), Interval(b"e", b"g")]
    s.add(Interval(b"c", b"e"))
    assert list(s) == [Interval(b"a", b"g")]
    s.add(Interval(b"x", b"x"))
    assert len(s) == 1
    s.add(Interval(b"\x00", b"b"))
    assert list(s) == [Interval(b"\x00", b"g")]


def test_interval_set_singletons() -> None:
    s = IntervalSet()
    s.add(Interval.singleton(b"m"))
    s.add(Interval.singleton(b"m"))
    s.add_key(b"p")
    assert len(s) == 2
    assert s.contains(b"m") and b"p" in s and not s.contains(b"n")
    s.add(Interval(b"n", b"o"))
    assert list(s) == [Interval.singleton(b"m"), Interval(b"n", b"o"), Interval.singleton(b"p")]
    s.add(Interval(b"l", b"m"))
    assert list(s) == [Interval(b"l", b"m\x00"), Interval(b"n", b"o"), Interval.singleton(b"p")]
    s.add(Interval(b"a", b"p"))
    assert list(s) == [Interval(b"a", b"p\x00")]
    assert len(s) == 1


def test_adjacent_singletons_merge() -> None:
    s = IntervalSet()
    s.add_key(b"k")
    s.add_key(b"k\x00")
    assert list(s) == [Interval(b"k", b"k\x00\x00")]
    t = IntervalSet()
    t.add_key(b"k\x00")
    t.add_key(b"k")
    assert list(t) == [Interval(b"k", b"k\x00\x00")]
    u = IntervalSet([Interval(b"k\x00", b"z")])
    u.add_key(b"k")
    assert list(u) == [Interval(b"k", b"z")]
    v = IntervalSet([Interval(b"a", b"k")])
    v.add_key(b"k")
    assert list(v) == [Interval(b"a", b"k\x00")]


def test_interval_set_all() -> None:
    s = IntervalSet([Interval.singleton(b"a"), Interval(b"c", b"d")])
    s.add(Interval(b"", b"b"))
    s.add(Interval(b"b", None))
    assert s.is_all and len(s) == 1 and list(s) == [Interval.ALL]
    s.add(Interval(b"q", b"r"))
    assert s.contains(b"anything")
    assert IntervalSet.all().is_all
    assert IntervalSet([Interval.ALL]).is_all


def test_copy_and_equality() -> None:
    s = IntervalSet([Interval(b"a", b"b"), Interval.singleton(b"c")])
    t = s.copy()
    t.add_key(b"x")
    assert s != t
    assert s == IntervalSet([Interval.singleton(b"c"), Interval(b"a", b"b")])
    assert not IntervalSet() and IntervalSet().is_empty


# Property test against a naive model: a list of intervals, membership by any().

_ALPHABET = [0, 1, 2, 255]
_keys = st.lists(st.sampled_from(_ALPHABET), max_size=3).map(bytes)
_PROBES = [bytes(t) for n in range(5) for t in itertools.product(_ALPHABET, repeat=n)]


@st.composite
def _intervals(draw: st.DrawFn) -> Interval:
    kind = draw(st.sampled_from(["range", "single", "prefix", "open"]))
    a = draw(_keys)
    if kind == "single":
        return Interval.singleton(a)
    if kind == "prefix":
        return Interval.prefix(a)
    if kind == "open":
        return Interval(a, None)
    b = draw(_keys)
    return Interval(a, b)


def _normalized(intervals: list[Interval]) -> list[tuple[bytes, bytes | None]]:
    live = sorted(
        ((i.start, i.end) for i in intervals if not i.is_empty),
        key=lambda p: (p[0], p[1] is None, p[1] or b""),
    )
    merged: list[list] = []
    for start, end in live:
        if merged and (merged[-1][1] is None or merged[-1][1] >= start):
            last_end = merged[-1][1]
            if last_end is not None and (end is None or end > last_end):
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


@settings(max_examples=400, deadline=None)
@given(st.lists(_intervals(), max_size=25))
def test_interval_set_matches_naive_model(intervals: list[Interval]) -> None:
    s = IntervalSet()
    for n, interval in enumerate(intervals, 1):
        s.add(interval)
        model = intervals[:n]
        for probe in _PROBES:
            expected = any(i.contains(probe) for i in model)
            assert s.contains(probe) == expected, (probe, model)
    got = [(i.start, i.end) for i in s]
    assert got == _normalized(intervals)
    assert len(s) == len(got)
    if got == [(b"", None)]:
        assert s.is_all
    for a, b in zip(got, got[1:], strict=False):
        assert a[1] is not None and a[1] < b[0]
