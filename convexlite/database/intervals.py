"""Half-open byte-string intervals and sets of them (spec/database.md §2.4).

Index keys are byte strings whose order is value order, so every read a
transaction makes is an interval of keys. Read sets are checked against every
key a concurrent commit writes, which makes `IntervalSet.contains` one of the
hottest functions in the engine: it is a hash lookup plus one C-level bisect.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar

from convexlite.persistence.types import Order

__all__ = ["Interval", "IntervalSet", "successor_of_prefix"]


def successor_of_prefix(key: bytes) -> bytes | None:
    """Smallest byte string greater than every string that starts with `key`.

    None stands for +infinity: a key of only 0xFF bytes (or the empty key) has
    no finite successor.
    """
    stripped = key.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes((stripped[-1] + 1,))


@dataclass(frozen=True, slots=True)
class Interval:
    """`[start, end)`; `end is None` means +infinity and `b""` as start means -infinity.

    Every interval is expressible with an inclusive start and an exclusive end
    because each byte string has an immediate successor (`k + b"\\x00"`).
    """

    start: bytes
    end: bytes | None

    ALL: ClassVar[Interval]
    EMPTY: ClassVar[Interval]

    @staticmethod
    def all() -> Interval:
        return Interval.ALL

    @staticmethod
    def empty() -> Interval:
        return Interval.EMPTY

    @staticmethod
    def prefix(key: bytes) -> Interval:
        """All keys that start with `key`, e.g. every index entry with given leading values."""
        return Interval(key, successor_of_prefix(key))

    @staticmethod
    def singleton(key: bytes) -> Interval:
        """Exactly `key` (a point read such as `db.get`)."""
        return Interval(key, key + b"\x00")

    @property
    def is_empty(self) -> bool:
        return self.end is not None and self.end <= self.start

    @property
    def is_singleton(self) -> bool:
        end = self.end
        return end is not None and len(end) == len(self.start) + 1 and end == self.start + b"\x00"

    @property
    def is_all(self) -> bool:
        return self.start == b"" and self.end is None

    def contains(self, key: bytes) -> bool:
        return self.start <= key and (self.end is None or key < self.end)

    def split_after(self, key: bytes, order: Order) -> tuple[Interval, Interval]:
        """Split into (the part a scan in `order` has consumed up to `key`, the rest).

        `key` must be a full index key: no other full key has it as a proper
        prefix, so in ascending order everything below `successor_of_prefix(key)`
        that is in the interval has been seen. When that successor lies at or
        beyond the end (a singleton interval, or +infinity) the read part is the
        whole interval, never more.
        """
        if order == "asc":
            succ = successor_of_prefix(key)
            if succ is not None and (self.end is None or succ < self.end):
                return Interval(self.start, succ), Interval(succ, self.end)
            return self, Interval.EMPTY
        return Interval(key, self.end), Interval(self.start, key)

    def __repr__(self) -> str:
        end = "+inf" if self.end is None else self.end.hex()
        return f"Interval({self.start.hex() or '-inf'}, {end})"


Interval.ALL = Interval(b"", None)
Interval.EMPTY = Interval(b"", b"")


def _end_ge(end: bytes | None, key: bytes) -> bool:
    return end is None or end >= key


class IntervalSet:
    """A growing set of keys, kept as sorted, disjoint, non-adjacent, non-empty intervals.

    The normal form is the same one Convex keeps, so `len()` (which counts
    toward the per-transaction read-interval limit) matches upstream. Point
    reads dominate real read sets, so singleton intervals live in a hash set
    and never pay for list insertion into the range lists; a sorted copy of
    them is only consulted when a range is added.
    """

    __slots__ = ("_all", "_starts", "_ends", "_singles", "_single_keys")

    def __init__(self, intervals: Iterable[Interval] = ()) -> None:
        self._all = False
        self._starts: list[bytes] = []
        self._ends: list[bytes | None] = []
        self._singles: set[bytes] = set()
        self._single_keys: list[bytes] = []
        for interval in intervals:
            self.add(interval)

    @classmethod
    def all(cls) -> IntervalSet:
        result = cls()
        result._all = True
        return result

    @property
    def is_all(self) -> bool:
        return self._all

    @property
    def is_empty(self) -> bool:
        return not self._all and not self._starts and not self._singles

    def __len__(self) -> int:
        if self._all:
            return 1
        return len(self._starts) + len(self._singles)

    def __bool__(self) -> bool:
        return not self.is_empty

    def contains(self, key: bytes) -> bool:
        if self._all or key in self._singles:
            return True
        i = bisect_right(self._starts, key) - 1
        if i < 0:
            return False
        end = self._ends[i]
        return end is None or key < end

    __contains__ = contains

    def add(self, interval: Interval) -> None:
        if self._all:
            return
        start, end = interval.start, interval.end
        if end is not None and end <= start:
            return
        if end is not None and len(end) == len(start) + 1 and end[-1] == 0 and end[:-1] == start:
            self._add_singleton(start)
        else:
            self._add_range(start, end)

    def add_key(self, key: bytes) -> None:
        """Same as `add(Interval.singleton(key))` without building the interval."""
        if not self._all:
            self._add_singleton(key)

    def update(self, intervals: Iterable[Interval]) -> None:
        for interval in intervals:
            self.add(interval)

    def _add_singleton(self, key: bytes) -> None:
        singles = self._singles
        if key in singles:
            return
        starts = self._starts
        i = bisect_right(starts, key) - 1
        if i >= 0 and _end_ge(self._ends[i], key):
            if self._ends[i] == key:
                self._add_range(key, key + b"\x00")
            return
        succ = key + b"\x00"
        if (
            succ in singles
            or (i + 1 < len(starts) and starts[i + 1] == succ)
            or (key and key[-1] == 0 and key[:-1] in singles)
        ):
            self._add_range(key, succ)
            return
        singles.add(key)
        insort(self._single_keys, key)

    def _add_range(self, start: bytes, end: bytes | None) -> None:
        starts, ends = self._starts, self._ends
        i = bisect_left(starts, start)
        lo = i - 1 if i > 0 and _end_ge(ends[i - 1], start) else i
        hi = len(starts) if end is None else bisect_right(starts, end, lo)
        new_start, new_end = start, end
        if lo < hi:
            if starts[lo] < new_start:
                new_start = starts[lo]
            last_end = ends[hi - 1]
            if new_end is not None and (last_end is None or last_end > new_end):
                new_end = last_end

        keys = self._single_keys
        if keys:
            s_lo = bisect_left(keys, start)
            s_hi = len(keys) if end is None else bisect_right(keys, end, s_lo)
            if s_lo > 0 and start[-1:] == b"\x00" and keys[s_lo - 1] == start[:-1]:
                s_lo -= 1
            if s_lo < s_hi:
                absorbed = keys[s_lo:s_hi]
                del keys[s_lo:s_hi]
                self._singles.difference_update(absorbed)
                if absorbed[0] < new_start:
                    new_start = absorbed[0]
                if new_end is not None:
                    last_succ = absorbed[-1] + b"\x00"
                    if last_succ > new_end:
                        new_end = last_succ

        if new_start == b"" and new_end is None:
            self._all = True
            starts.clear()
            ends.clear()
            self._singles.clear()
            keys.clear()
            return
        starts[lo:hi] = [new_start]
        ends[lo:hi] = [new_end]

    def __iter__(self) -> Iterator[Interval]:
        if self._all:
            yield Interval.ALL
            return
        keys = self._single_keys
        k = 0
        for start, end in zip(self._starts, self._ends, strict=True):
            while k < len(keys) and keys[k] < start:
                yield Interval(keys[k], keys[k] + b"\x00")
                k += 1
            yield Interval(start, end)
        for key in keys[k:]:
            yield Interval(key, key + b"\x00")

    def single_keys(self) -> Iterable[bytes]:
        """The keys read as points (not covered by a range), for hash-based matching."""
        return () if self._all else self._singles

    def ranges(self) -> Iterator[tuple[bytes, bytes | None]]:
        """The non-singleton intervals as (start, end) pairs, `end=None` meaning +infinity."""
        if self._all:
            yield b"", None
            return
        yield from zip(self._starts, self._ends, strict=True)

    def copy(self) -> IntervalSet:
        result = IntervalSet()
        result._all = self._all
        result._starts = self._starts.copy()
        result._ends = self._ends.copy()
        result._singles = self._singles.copy()
        result._single_keys = self._single_keys.copy()
        return result

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IntervalSet):
            return NotImplemented
        return (
            self._all == other._all
            and self._starts == other._starts
            and self._ends == other._ends
            and self._singles == other._singles
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"IntervalSet({list(self)!r})"
