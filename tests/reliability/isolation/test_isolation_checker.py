"""The checker on hand-built histories: each planted anomaly is found and named, valid
histories give none, and any history a serial execution produces gives none."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from . import bank
from .history import Op, mop_from_json
from .list_append import check


def txn(index, *mops, type="ok", invoked=0, completed=100):
    """An op; by default all ops overlap in time, so real time orders none of them."""
    return Op(
        index=index,
        process=f"p{index}",
        type=type,
        mops=tuple(mop_from_json(list(m)) for m in mops),
        invoked=invoked,
        completed=None if type == "info" else completed,
    )


def kinds(ops, realtime=True):
    return sorted({a.kind for a in check(ops, realtime=realtime)})


def test_a_valid_concurrent_history_has_no_anomaly():
    ops = [
        txn(0, ("append", "x", 1), ("append", "y", 1)),
        txn(1, ("r", "x", [1]), ("append", "x", 2)),
        txn(2, ("r", "y", [1]), ("r", "x", [1, 2])),
        txn(3, ("append", "y", 2), ("r", "y", [1, 2])),
        txn(4, ("append", "z", 9), type="info"),  # never seen: may not have happened
        txn(5, ("append", "x", 3), type="fail"),  # never seen: did not happen
        txn(6, ("r", "x", [1, 2]), ("r", "z", [])),
    ]
    assert check(ops) == []


def test_an_info_op_seen_by_a_read_is_ordered_like_any_writer():
    ops = [
        txn(0, ("append", "x", 1), type="info"),
        txn(1, ("r", "x", [1]), ("append", "x", 2)),
        txn(2, ("r", "x", [1, 2])),
    ]
    assert check(ops) == []


def test_g0_write_cycle():
    ops = [
        txn(0, ("append", "x", 1), ("append", "y", 2)),
        txn(1, ("append", "x", 2), ("append", "y", 1)),
        txn(2, ("r", "x", [1, 2]), ("r", "y", [1, 2])),
    ]
    assert kinds(ops) == ["G0"]
    [found] = check(ops)
    assert {a for a, _, _ in found.cycle} == {0, 1}


def test_g1a_aborted_read():
    ops = [txn(0, ("append", "x", 1), type="fail"), txn(1, ("r", "x", [1]))]
    assert kinds(ops) == ["G1a"]


def test_g1b_intermediate_read():
    ops = [txn(0, ("append", "x", 1), ("append", "x", 2)), txn(1, ("r", "x", [1]))]
    assert "G1b" in kinds(ops)


def test_g1c_circular_information_flow():
    ops = [
        txn(0, ("append", "x", 1), ("r", "y", [1])),
        txn(1, ("append", "y", 1), ("r", "x", [1])),
    ]
    assert kinds(ops) == ["G1c"]


def test_g_single_read_skew():
    ops = [
        txn(0, ("append", "x", 1), ("append", "y", 1)),
        txn(1, ("r", "x", []), ("r", "y", [1])),
    ]
    assert kinds(ops) == ["G-single"]


def test_g2_write_skew():
    ops = [
        txn(0, ("r", "x", []), ("append", "y", 1)),
        txn(1, ("r", "y", []), ("append", "x", 1)),
        txn(2, ("r", "x", [1]), ("r", "y", [1])),
    ]
    assert kinds(ops) == ["G2"]
    [found] = check(ops)
    assert [kind for _, kind, _ in found.cycle] == ["rw", "rw"]


def test_a_stale_read_is_only_a_real_time_anomaly():
    """The read is serializable before the append, but it began after the append
    completed: strict serializability forbids it."""
    ops = [
        txn(0, ("append", "x", 1), invoked=0, completed=10),
        txn(1, ("r", "x", []), invoked=20, completed=30),
    ]
    assert kinds(ops) == ["G-single-realtime"]
    assert kinds(ops, realtime=False) == []


def test_real_time_needs_a_strictly_earlier_completion():
    ops = [
        txn(0, ("append", "x", 1), invoked=0, completed=20),
        txn(1, ("r", "x", []), invoked=20, completed=30),
    ]
    assert check(ops) == []


def test_incompatible_orders_and_duplicates():
    ops = [
        txn(0, ("append", "x", 1)),
        txn(1, ("append", "x", 2)),
        txn(2, ("r", "x", [1, 2])),
        txn(3, ("r", "x", [2, 1])),
        txn(4, ("r", "x", [1, 2, 1])),
    ]
    assert {"incompatible-order", "duplicate-elements"} <= set(kinds(ops))


def test_a_transaction_applied_twice_is_a_duplicate_not_a_cycle():
    ops = [
        txn(0, ("append", "x", 1)),
        txn(1, ("r", "x", [1]), ("append", "x", 2), ("append", "y", 1)),
        txn(2, ("r", "x", [1, 2, 1]), ("r", "y", [1])),
    ]
    assert kinds(ops) == ["duplicate-elements"]


def test_garbage_and_internal_reads():
    ops = [
        txn(0, ("r", "x", [7])),
        txn(1, ("append", "y", 1)),
        txn(2, ("r", "y", [1]), ("append", "y", 2), ("r", "y", [1])),
    ]
    assert kinds(ops) == ["garbage-read", "internal"]


def test_a_read_after_its_own_appends_shows_who_came_before():
    ops = [
        txn(0, ("append", "x", 1), ("r", "y", [])),
        txn(1, ("append", "y", 1), ("append", "x", 2), ("r", "x", [1, 2])),
    ]
    assert kinds(ops) == []
    ops[0] = txn(0, ("append", "x", 1), ("r", "y", [1]))  # now 1 -wr-> 0 and 0 -wr-> 1
    assert kinds(ops) == ["G1c"]


def test_the_bank_invariant():
    assert bank.check([{"a0": 5, "a1": 5}, {"a0": 10, "a1": 0}], accounts=2, total=10) == []
    found = bank.check([{"a0": 6, "a1": 5}, {"a0": 11, "a1": -1}, {"a0": 10}], accounts=2, total=10)
    assert [a.kind for a in found] == ["bank-total", "bank-negative", "bank-accounts"]


@st.composite
def serial_histories(draw):
    """Transactions run one after another on a map of lists, some lost in flight (info:
    applied or not) or refused (fail: not applied), others overlapping in time with the
    next ones only as far as their serial position allows."""
    keys = ["a", "b", "c"]
    state: dict[str, list[int]] = {k: [] for k in keys}
    ops = []
    element = 0
    for index in range(draw(st.integers(1, 25))):
        outcome = draw(st.sampled_from(["ok", "ok", "ok", "fail", "info"]))
        applied = outcome == "ok" or (outcome == "info" and draw(st.booleans()))
        mine = {k: list(v) for k, v in state.items()}
        mops = []
        for _ in range(draw(st.integers(1, 4))):
            key = draw(st.sampled_from(keys))
            if draw(st.booleans()):
                element += 1
                mine[key].append(element)
                mops.append(("append", key, element))
            else:
                mops.append(("r", key, list(mine[key]) if outcome == "ok" else None))
        if applied:
            state = mine
        invoked = index * 10 - draw(st.integers(0, 9))  # may overlap the one before
        ops.append(txn(index, *mops, type=outcome, invoked=invoked, completed=index * 10 + 5))
    return ops


@settings(max_examples=100, deadline=None)
@given(serial_histories())
def test_a_serial_execution_has_no_anomaly(ops):
    assert check(ops) == []


@pytest.mark.parametrize("lost", [0, 1])
def test_a_lost_write_breaks_a_later_read(lost):
    """A committed append that a later read misses while seeing a later append: G-single."""
    ops = [
        txn(0, ("append", "x", 1), ("append", "y", 1), invoked=0, completed=1),
        txn(1, ("r", "x", [1]), ("append", "x", 2), invoked=2, completed=3),
        txn(2, ("r", "x", [1, 2] if not lost else [2]), ("r", "y", [1]), invoked=4, completed=5),
    ]
    assert (check(ops) == []) == (not lost)
