"""A few crash trials (crash_trials.py) in CI: `convexlite serve` SIGKILLed under load and
restarted must keep every acknowledged write, half of no transaction, indexes equal to their
tables, increasing timestamps, each scheduled mutation run once, whole pushes and imports.
The by-hand harness runs 50 per backend; docs/reliability.md has its figures."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from crash_checks import Findings, check_jobs, check_pairs  # noqa: E402
from crash_load import Records  # noqa: E402
from crash_trials import MODES, run  # noqa: E402


def trials(backend: str, count: int, seed: int, modes: tuple[str, ...] = MODES) -> None:
    report, records = run(backend, count, seed, modes, quiet=True)
    summary = report.summary(records)
    print(json.dumps(summary))
    assert report.findings.violations() == 0, summary
    assert report.trials == count, summary
    assert records.pairs.acknowledged > 0 and records.jobs.acknowledged, summary


def test_sqlite_survives_kills_mid_import_and_mid_push() -> None:
    trials("sqlite", 3, seed=18, modes=("import", "push", "random"))


@pytest.mark.parametrize(("backend", "mode"), [("postgres", "push"), ("mysql", "scheduled")])
def test_a_server_store_survives_a_kill(backend: str, mode: str) -> None:
    trials(backend, 1, seed=18, modes=(mode,))


def test_the_checks_see_a_lost_write_a_torn_pair_and_a_job_run_twice() -> None:
    records = Records()
    records.pairs.allowed = {"w.1": {5.0}, "w.2": {None}, "w.3": {None, 7.0}}
    records.pairs.writer = {"w.1": "w", "w.2": "w", "w.3": "w"}
    records.jobs.acknowledged = {"j1", "j2"}
    pair = {"writer": "w", "seq": 3, "token": "w.3", "value": 7.0}
    tables = {
        "left": [pair],
        "right": [],
        "counters": [{"writer": "w", "n": 1}],
        "jobs": [{"token": "j1"}, {"token": "j2"}],
        "runs": [{"token": "j1"}, {"token": "j1"}],
    }
    findings = Findings()
    check_pairs(tables, records, findings)
    check_jobs(tables, records, findings)
    assert (findings.lost, findings.half_applied) == (1, 1), findings.examples
    assert (findings.scheduled_duplicates, findings.scheduled_missing) == (1, 1)
