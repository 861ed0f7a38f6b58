"""The time limit of Python queries and mutations (functions/python_deadline.py)."""

from __future__ import annotations

import time

import pytest

from convexlite.functions.function_errors import FunctionTimeout
from convexlite.functions.python_deadline import run_with_deadline


def spin_swallowing_errors() -> None:
    while True:
        try:
            sum(range(100))
        except Exception:
            continue


def test_a_runaway_handler_is_stopped_even_if_it_swallows_errors() -> None:
    with pytest.raises(FunctionTimeout, match=r"maximum duration: 0.2s"):
        run_with_deadline(0.2, spin_swallowing_errors)


def test_runs_ending_around_their_deadline_end_one_way_or_the_other_and_leave_nothing() -> None:
    """No stray exception lands after a run returns, however close to its deadline."""

    def busy(seconds: float) -> str:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass
        return "done"

    outcomes = set()
    for i in range(18):
        try:
            outcomes.add(run_with_deadline(0.01, busy, 0.005 + (i % 3) * 0.12))
        except FunctionTimeout:
            outcomes.add("timeout")
        busy(0.02)  # a stray exception raised into this thread would surface here
    assert outcomes == {"done", "timeout"}


def test_a_nested_run_shares_the_outer_deadline() -> None:
    def outer() -> str:
        return run_with_deadline(100, spin_swallowing_errors)

    with pytest.raises(FunctionTimeout, match=r"maximum duration: 0.2s"):
        run_with_deadline(0.2, outer)
    assert run_with_deadline(1, lambda: "after") == "after"
