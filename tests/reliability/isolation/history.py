"""A recorded history: one `Op` per transaction a client attempted, with what it saw.

A client records the time it invoked a transaction and, when it got an answer, the time of
that answer. The answer decides the op's type, as in Elle: `ok` (it committed, its reads are
known), `fail` (the server said it did not happen), `info` (no answer: a timeout, a dropped
connection; it may or may not have happened, so its reads are unknown).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

OpType = Literal["ok", "fail", "info"]
Key = str
Element = int


@dataclass(frozen=True, slots=True)
class Read:
    """A read of a key's whole list; `value` is None when the read's result is unknown."""

    key: Key
    value: tuple[Element, ...] | None


@dataclass(frozen=True, slots=True)
class Append:
    key: Key
    element: Element


MicroOp = Read | Append


@dataclass(frozen=True, slots=True)
class Op:
    """One transaction. Times are nanoseconds of one wall clock, widened outwards when a
    client's clock is coarser (invoked rounded down, completed rounded up), so that an op
    that completed before another was invoked really did. `completed` is None for `info`."""

    index: int
    process: str
    type: OpType
    mops: tuple[MicroOp, ...]
    invoked: int
    completed: int | None

    def appends(self) -> Iterator[Append]:
        return (m for m in self.mops if isinstance(m, Append))

    def reads(self) -> Iterator[Read]:
        return (m for m in self.mops if isinstance(m, Read) and m.value is not None)


def mop_from_json(raw: list[Any]) -> MicroOp:
    """`["r", key, list|null]` or `["append", key, element]`, the workload's wire form."""
    f, key, value = raw
    if f == "r":
        return Read(str(key), None if value is None else tuple(int(e) for e in value))
    if f == "append":
        return Append(str(key), int(value))
    raise ValueError(f"unknown micro-op {raw!r}")


def mop_to_json(mop: MicroOp) -> list[Any]:
    if isinstance(mop, Read):
        return ["r", mop.key, None if mop.value is None else list(mop.value)]
    return ["append", mop.key, mop.element]


def ops_from_records(records: Iterable[dict[str, Any]]) -> list[Op]:
    """Ops from the clients' JSON records (`process`, `type`, `mops`, `invoked`, `completed`),
    numbered in invocation order."""
    ordered = sorted(records, key=lambda r: r["invoked"])
    return [
        Op(
            index=i,
            process=str(r["process"]),
            type=r["type"],
            mops=tuple(mop_from_json(m) for m in r["mops"]),
            invoked=int(r["invoked"]),
            completed=None if r.get("completed") is None else int(r["completed"]),
        )
        for i, r in enumerate(ordered)
    ]


def save(ops: Iterable[Op], path: Path) -> None:
    """One JSON line per op, for a failed run to be read and re-checked."""
    with path.open("w") as out:
        for op in ops:
            record = {
                "process": op.process,
                "type": op.type,
                "mops": [mop_to_json(m) for m in op.mops],
                "invoked": op.invoked,
                "completed": op.completed,
            }
            out.write(json.dumps(record) + "\n")


def load(path: Path) -> list[Op]:
    return ops_from_records(json.loads(line) for line in path.read_text().splitlines() if line)
