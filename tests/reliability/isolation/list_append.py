"""Elle's list-append analysis: anomalies of single transactions, then a dependency graph
inferred from the lists clients read, whose cycles are the serializability anomalies.

Every element is appended once, so a read names the transactions that appended each of its
elements, and since a key's list only grows, every read of a key is a prefix of the key's
one version order: the longest read. From that order:

- `ww`: the appender of a key's element i precedes the appender of element i+1;
- `wr`: the appender of a read's last element precedes the reader;
- `rw`: the reader precedes the appender of the element after its read's last (anti-dependency);
- `rt`: an op that completed before another was invoked precedes it (with `realtime=True`:
  Convex promises strict serializability).

A cycle is classified by its edges: only ww is G0, ww and wr is G1c, exactly one rw is
G-single, more is G2 (Adya); one that needs an rt edge gets the suffix `-realtime`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .graph import Edge, Graph
from .history import Append, Element, Key, Op, Read


@dataclass(frozen=True)
class Anomaly:
    kind: str
    detail: str
    cycle: tuple[Edge, ...] = field(default=())


CYCLE_CLASSES = (  # name, the kind of the anchoring edge, the kinds the way back may use
    ("G0", "ww", {"ww"}),
    ("G1c", "wr", {"ww", "wr"}),
    ("G-single", "rw", {"ww", "wr"}),
    ("G2", "rw", {"ww", "wr", "rw"}),
)


def check(ops: list[Op], realtime: bool = True) -> list[Anomaly]:
    """Every anomaly of the history; an empty list means it is serializable (and, with
    `realtime`, strictly serializable) as far as the observations can tell."""
    by_index = {op.index: op for op in ops}
    writer: dict[tuple[Key, Element], Op] = {}
    anomalies: list[Anomaly] = []
    for op in ops:
        for append in op.appends():
            element = (append.key, append.element)
            if element in writer:
                raise ValueError(f"the workload appended {element} twice")
            writer[element] = op
    for op in ops:
        anomalies += _internal(op)
    committed = [op for op in ops if op.type == "ok"]
    anomalies += _read_anomalies(committed, writer)
    orders, order_anomalies = _version_orders(committed, writer)
    anomalies += order_anomalies
    graph = _dependencies(committed, orders, writer)
    if realtime:
        _add_realtime(graph, ops)
    anomalies += _cycles(graph, by_index)
    return anomalies


def _internal(op: Op) -> list[Anomaly]:
    """A transaction must see its own appends and nothing else change under it."""
    if op.type != "ok":
        return []
    known: dict[Key, tuple[Element, ...]] = {}
    pending: dict[Key, list[Element]] = defaultdict(list)
    found = []
    for mop in op.mops:
        if isinstance(mop, Append):
            if mop.key in known:
                known[mop.key] = known[mop.key] + (mop.element,)
            else:
                pending[mop.key].append(mop.element)
            continue
        if mop.value is None:
            continue
        if mop.key in known:
            expected_ok = mop.value == known[mop.key]
        else:
            mine = tuple(pending[mop.key])
            expected_ok = mop.value[len(mop.value) - len(mine) :] == mine
        if not expected_ok:
            found.append(Anomaly("internal", f"op {op.index} read {mop.key}={_show(mop.value)}"))
        known[mop.key] = mop.value
    return found


def _read_anomalies(committed: list[Op], writer: dict[tuple[Key, Element], Op]) -> list[Anomaly]:
    found = []
    for op in committed:
        for read in op.reads():
            assert read.value is not None
            where = f"op {op.index} read {read.key}={_show(read.value)}"
            if len(set(read.value)) != len(read.value):
                found.append(Anomaly("duplicate-elements", where))
            for position, element in enumerate(read.value):
                source = writer.get((read.key, element))
                if source is None:
                    found.append(Anomaly("garbage-read", f"{where}: nobody appended {element}"))
                elif source.type == "fail" and source.index != op.index:
                    found.append(Anomaly("G1a", f"{where}: op {source.index} failed"))
                elif source.index != op.index and position == len(read.value) - 1:
                    later = [a for a in source.appends() if a.key == read.key]
                    if later[-1].element != element:
                        found.append(
                            Anomaly("G1b", f"{where}: op {source.index} appended more after it")
                        )
    return found


def _version_orders(
    committed: list[Op], writer: dict[tuple[Key, Element], Op]
) -> tuple[dict[Key, tuple[Element, ...]], list[Anomaly]]:
    """Each key's version order, the longest read of it; a read that is not a prefix of it
    is an incompatible order. When a single append that may have happened is in no read and
    it committed, it follows the longest read."""
    longest: dict[Key, tuple[Element, ...]] = {}
    for op in committed:
        for read in op.reads():
            assert read.value is not None
            if read.key not in longest or len(read.value) > len(longest[read.key]):
                longest[read.key] = read.value
    found = []
    for op in committed:
        for read in op.reads():
            assert read.value is not None
            order = longest[read.key]
            if order[: len(read.value)] != read.value:
                found.append(
                    Anomaly(
                        "incompatible-order",
                        f"op {op.index} read {read.key}={_show(read.value)}, "
                        f"another read {_show(order)}",
                    )
                )
    seen = {(key, element) for key, order in longest.items() for element in order}
    unseen: dict[Key, list[tuple[Element, Op]]] = defaultdict(list)
    for (key, element), op in writer.items():
        if op.type != "fail" and (key, element) not in seen:
            unseen[key].append((element, op))
    for key, candidates in unseen.items():
        if len(candidates) == 1 and candidates[0][1].type == "ok":
            longest[key] = longest.get(key, ()) + (candidates[0][0],)
    return longest, found


def _dependencies(
    committed: list[Op],
    orders: dict[Key, tuple[Element, ...]],
    writer: dict[tuple[Key, Element], Op],
) -> Graph:
    graph = Graph()
    # an element read twice is one transaction applied twice (reported as duplicate-elements);
    # its key has no version order to infer dependencies from
    orders = {key: order for key, order in orders.items() if len(set(order)) == len(order)}
    for key, order in orders.items():
        for before, after in zip(order, order[1:], strict=False):
            if (key, before) in writer and (key, after) in writer:
                graph.add(writer[key, before].index, "ww", writer[key, after].index)
    for op in committed:
        for read in _external_reads(op):
            assert read.value is not None
            if read.key not in orders:
                continue
            order = orders[read.key]
            if read.value and (read.key, read.value[-1]) in writer:
                graph.add(writer[read.key, read.value[-1]].index, "wr", op.index)
            if len(read.value) < len(order) and (read.key, order[len(read.value)]) in writer:
                graph.add(op.index, "rw", writer[read.key, order[len(read.value)]].index)
    return graph


def _external_reads(op: Op) -> list[Read]:
    """The op's reads with its own appends cut off their ends: what they show of the
    transactions before it (that its own appends come last is the internal check's)."""
    mine: dict[Key, set[Element]] = defaultdict(set)
    reads = []
    for mop in op.mops:
        if isinstance(mop, Append):
            mine[mop.key].add(mop.element)
        elif mop.value is not None:
            value = mop.value
            while value and value[-1] in mine[mop.key]:
                value = value[:-1]
            reads.append(Read(mop.key, value))
    return reads


def _add_realtime(graph: Graph, ops: list[Op]) -> None:
    """Edges from each op to those invoked after it completed, reduced to the ops completed
    most recently (the rest follow transitively), so they stay few."""
    events: list[tuple[int, int, Op]] = []
    for op in ops:
        events.append((op.invoked, 0, op))
        if op.completed is not None and op.type == "ok":
            events.append((op.completed, 1, op))
    frontier: set[int] = set()
    before: dict[int, set[int]] = {}
    # at equal times the invocation goes first: only a strictly earlier completion orders
    for _, is_completion, op in sorted(events, key=lambda e: (e[0], e[1], e[2].index)):
        if not is_completion:
            before[op.index] = set(frontier)
            for earlier in frontier:
                graph.add(earlier, "rt", op.index)
        else:
            frontier -= before[op.index]
            frontier.add(op.index)


def _cycles(graph: Graph, by_index: dict[int, Op]) -> list[Anomaly]:
    found = []
    for component in graph.components():
        classes: set[str] = set()
        for with_realtime in (False, True):
            for name, anchor, back in CYCLE_CLASSES:
                if with_realtime and name in classes:
                    continue
                cycle = _cycle(
                    graph, component, anchor, back | ({"rt"} if with_realtime else set())
                )
                if cycle is None or (name == "G2" and _rw_count(cycle) < 2):
                    continue
                classes.add(name)
                kind = f"{name}-realtime" if with_realtime else name
                found.append(Anomaly(kind, _describe(cycle, by_index), tuple(cycle)))
    return found


def _cycle(graph: Graph, component: set[int], anchor: str, back: set[str]) -> list[Edge] | None:
    for a, b in graph.edges(component, anchor):
        way_back = graph.path(b, a, component, back)
        if way_back is not None:
            return [(a, anchor, b), *way_back]
    return None


def _rw_count(cycle: list[Edge]) -> int:
    return sum(1 for _, kind, _ in cycle if kind == "rw")


def _describe(cycle: list[Edge], by_index: dict[int, Op]) -> str:
    return " ".join(f"op {a} ({by_index[a].process}) -{kind}->" for a, kind, _ in cycle) + (
        f" op {cycle[0][0]}"
    )


def _show(elements: tuple[Element, ...]) -> str:
    """A list as a message shows it: its end, where anomalies show."""
    if len(elements) <= 8:
        return str(list(elements))
    return f"[...{len(elements) - 6} more, {', '.join(map(str, elements[-6:]))}]"
