"""Short isolation runs through the official clients on every backend, without and with
faults: the recorded histories show no anomaly and the bank keeps its total. Long runs are
by hand (harness.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .workload import Plan, run


def _assert_clean(plan: Plan, tmp_path: Path) -> None:
    outcome = run(plan, tmp_path)
    assert outcome.anomalies == [], outcome.summary()
    assert sum(op.type == "ok" for op in outcome.ops) > 10, outcome.summary()
    assert outcome.bank_reads, outcome.summary()
    assert len(outcome.faults) >= len(plan.faults), outcome.summary()


def test_sqlite_without_faults(tmp_path: Path) -> None:
    _assert_clean(Plan(seconds=2, timeout_ms=4000), tmp_path)


def test_sqlite_with_killed_connections_and_a_restart(tmp_path: Path) -> None:
    """Tokens: every client's re-sent mutation must run once across the restart, which the
    server does not ensure yet (test_isolation_resend.py)."""
    faults = ("connections", "restart")
    plan = Plan(seconds=4, faults=faults, fault_every=1.2, timeout_ms=4000, tokens=True)
    _assert_clean(plan, tmp_path)


@pytest.mark.parametrize("backend", ["postgres", "mysql"])
def test_dropped_database_connections(backend: str, tmp_path: Path) -> None:
    plan = Plan(backend=backend, seconds=2.5, faults=("database",), fault_every=1, timeout_ms=4000)
    _assert_clean(plan, tmp_path)
