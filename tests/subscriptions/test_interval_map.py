"""IntervalMap against a brute-force model: a dict of intervals to owner sets.

Keys come from a tiny alphabet so random intervals nest, overlap, touch,
coincide and are empty; every stab must return exactly the owners (with
multiplicity, one per containing interval) that scanning the model finds.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from convexlite.subscriptions.interval_map import IntervalMap

Span = tuple[bytes, bytes | None]

# Index keys never start with 0xff (it is not a type tag); later bytes may be anything.
keys = (
    st.lists(st.sampled_from(b"\x00\x01\x02\xfe\xff"), max_size=3)
    .map(bytes)
    .filter(lambda k: not k.startswith(b"\xff"))
)
spans = st.tuples(keys, st.one_of(st.none(), keys))
owners = st.integers(0, 5)
ops = st.lists(
    st.tuples(st.sampled_from(["add", "add", "remove"]), spans, owners), min_size=1, max_size=60
)
PROBES = sorted({bytes(p) for p in [(), (0,), (1,), (2,), (0, 0), (1, 0xFF), (0xFE,), (2, 1, 0)]})


def contains(span: Span, key: bytes) -> bool:
    start, end = span
    return start <= key and (end is None or key < end)


def expected_stab(model: dict[Span, set[int]], key: bytes) -> Counter[int]:
    found: Counter[int] = Counter()
    for span, who in model.items():
        if contains(span, key):
            found.update(who)
    return found


@settings(max_examples=300, deadline=None)
@given(ops, st.lists(keys, max_size=8))
def test_stab_and_len_match_a_brute_force_model(script, extra_probes):
    imap = IntervalMap()
    model: dict[Span, set[int]] = {}
    probes = PROBES + extra_probes
    for op, span, owner in script:
        if op == "add":
            imap.add(*span, owner)
            model.setdefault(span, set()).add(owner)
        else:
            imap.remove(*span, owner)
            who = model.get(span)
            if who is not None:
                who.discard(owner)
                if not who:
                    del model[span]
        assert len(imap) == len(model)
        for key in probes + [s for s, _ in model] + [e for _, e in model if e is not None]:
            assert Counter(imap.stab(key)) == expected_stab(model, key), key


@settings(max_examples=100, deadline=None)
@given(st.lists(spans, min_size=1, max_size=30, unique=True), st.randoms(use_true_random=False))
def test_removing_every_owner_empties_the_map(all_spans, rnd):
    imap = IntervalMap()
    for i, span in enumerate(all_spans):
        imap.add(*span, i)
        imap.add(*span, "shared")
    assert len(imap) == len(all_spans)
    order = list(enumerate(all_spans))
    rnd.shuffle(order)
    for removed, (i, span) in enumerate(order, 1):
        imap.remove(*span, i)
        assert len(imap) == len(all_spans) - removed + 1
        imap.remove(*span, "shared")
        assert len(imap) == len(all_spans) - removed
        for key in [span[0], *PROBES]:
            assert i not in set(imap.stab(key))
    assert len(imap) == 0
    assert all(list(imap.stab(key)) == [] for key in PROBES)


def test_shared_interval_is_one_entry_until_its_last_owner_leaves():
    imap = IntervalMap()
    imap.add(b"\x01", b"\x02", "a")
    imap.add(b"\x01", b"\x02", "b")
    imap.add(b"\x01", None, "c")
    assert len(imap) == 2
    assert sorted(imap.stab(b"\x01\x05")) == ["a", "b", "c"]
    imap.remove(b"\x01", b"\x02", "a")
    assert len(imap) == 2 and sorted(imap.stab(b"\x01")) == ["b", "c"]
    imap.remove(b"\x01", b"\x02", "b")
    assert len(imap) == 1 and list(imap.stab(b"\x01")) == ["c"]
    assert list(imap.stab(b"\xfe\xff\xff")) == ["c"]
    assert list(imap.stab(b"\x00\xff")) == []
    imap.remove(b"\x01", b"\x02", "nobody")
    imap.remove(b"\x07", None, "c")
    assert len(imap) == 1


class CountingKey(bytes):
    """A probe key that counts the comparisons a stab makes with it."""

    comparisons = 0

    def __lt__(self, other: bytes) -> bool:
        CountingKey.comparisons += 1
        return bytes(self) < other

    def __ge__(self, other: bytes) -> bool:
        CountingKey.comparisons += 1
        return bytes(self) >= other


def test_a_stab_touches_few_of_many_disjoint_intervals():
    """The point of the structure: work follows the answer, not the number of intervals."""
    imap = IntervalMap()
    n = 20_000
    for i in range(n):
        key = b"\x10" + i.to_bytes(3, "big")
        imap.add(key, key + b"\x00", i)
    imap.add(b"\x10", None, "tail")
    for i in range(0, n, 997):
        CountingKey.comparisons = 0
        probe = CountingKey(b"\x10" + i.to_bytes(3, "big"))
        assert sorted(imap.stab(probe), key=str) == [i, "tail"]
        assert CountingKey.comparisons < 300
