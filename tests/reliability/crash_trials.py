"""Crash trials (issue 18): `convexlite serve` killed with SIGKILL under load, restarted on
the same store, and checked (crash_checks.py) against what its clients were told.

One run serves tests/reliability/crash_project (pushed as the real CLI pushes) on a fresh
store: a SQLite file in a temporary directory, or a Postgres/MariaDB database of its own,
dropped at the end. Each trial puts load on it (four writers and a client scheduling
mutations, crash_load.py) and SIGKILLs the server at a random moment of its mode:

- `random`: anywhere in 0.3-2.5 s of load;
- `push`: while pushes of new versions run back to back (most kills land mid-push);
- `import`: while `npx convex import --replace` runs (upload, build, switch-over);
- `scheduled`: just after mutations were scheduled with delays of 0-1.5 s (due ones run);
- `startup`: a random moment, and then once more 0.2-4 s into the next start, while the
  server opens the store and recovers.

It then restarts the server on the same store (bounded by Served's start timeout, without
any manual step) and checks the store. Trials follow each other on the one store, so later
ones also restart a store that has been killed many times.

By hand (figures in docs/reliability.md):

    PYTHONPATH=. python tests/reliability/crash_trials.py --backend sqlite --trials 50 --seed 1
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent / "push")]

import httpx  # noqa: E402
from crash_checks import Findings, check_restarted, query_ts  # noqa: E402
from crash_load import Records, importer, pusher, scheduler_client, writer  # noqa: E402
from npm_clients import npm_clients  # noqa: E402
from push_harness import Deployment, project_copy, replay_push, start  # noqa: E402
from served import START, Served, free_port  # noqa: E402
from servers import fresh_mysql, fresh_postgres  # noqa: E402

from convexlite.auth.keys import generate_instance_secret, issue_admin_key  # noqa: E402
from convexlite.persistence import DEFAULT_INSTANCE_NAME  # noqa: E402

BACKENDS = ("sqlite", "postgres", "mysql")
MODES = ("random", "push", "import", "scheduled", "startup")
WRITERS = 4
LOAD_SECONDS = (0.3, 2.5)
"""How long a trial's load runs before the kill, drawn uniformly."""
MODE_DELAY = {"push": (0.0, 5.0), "import": (0.5, 10.0)}
"""How long after a push, an import or a scheduled job started the kill comes: an import
spends its first second in the CLI's start-up."""


@dataclass
class Report:
    backend: str
    trials: int = 0
    modes: dict[str, int] = field(default_factory=dict)
    mid: dict[str, int] = field(default_factory=dict)
    """Kills that came while the mode's operation was in flight (a push, an import)."""
    restart_seconds: list[float] = field(default_factory=list)
    findings: Findings = field(default_factory=Findings)
    wall_seconds: float = 0.0
    port_clashes: int = 0
    """Starts retried because another process took a port meanwhile."""
    server_errors: Counter[str] = field(default_factory=Counter)
    """Errors the servers logged (not violations by themselves: a clue when one occurs)."""

    def summary(self, records: Records) -> dict[str, object]:
        f = self.findings
        return {
            "backend": self.backend,
            "trials": self.trials,
            "modes": self.modes,
            "killed_mid_operation": self.mid,
            "acknowledged_writes": records.pairs.acknowledged,
            "unknown_outcomes": records.pairs.unknown,
            "unknown_found_applied": records.pairs.unknown_applied,
            "write_errors": len(records.pairs.errors),
            "scheduled_acknowledged": len(records.jobs.acknowledged),
            "pushes_acknowledged": records.pushes.done,
            "imports_acknowledged": records.imports.done,
            "lost_writes": f.lost,
            "half_applied": f.half_applied,
            "index_mismatches": f.index_mismatches,
            "counter_mismatches": f.counter_mismatches,
            "scheduled_duplicates": f.scheduled_duplicates,
            "scheduled_missing": f.scheduled_missing + f.scheduled_orphans,
            "timestamp_regressions": f.timestamp_regressions,
            "broken_pushes": f.broken_pushes,
            "partial_imports": f.partial_imports,
            "refused_operations": f.refused_operations,
            "restart_failures": f.restart_failures,
            "max_restart_seconds": round(max(self.restart_seconds, default=0.0), 2),
            "wall_seconds": round(self.wall_seconds, 1),
            "port_clashes": self.port_clashes,
            "server_errors": dict(self.server_errors.most_common(10)),
            "examples": f.examples + records.pairs.errors[:5],
        }


PUSH_REQUESTS: list[dict[str, Any]] = []


def push_request(deployment: Deployment) -> dict[str, Any]:
    """The CLI's `start_push` body for crash_project (the same for every store, so the CLI
    bundles it once per process); runs then push it as the CLI would."""
    if not PUSH_REQUESTS:
        written = deployment.project.parent / "push-request"
        deployment.cli(
            "deploy",
            "-y",
            "--typecheck",
            "disable",
            "--push-all-modules",
            "--write-push-request",
            str(written),
        )
        PUSH_REQUESTS.append(json.loads(written.with_suffix(".json").read_text()))
    return PUSH_REQUESTS[0]


@contextlib.contextmanager
def store(backend: str, root: Path) -> Iterator[tuple[str, ...]]:
    """`convexlite serve` arguments naming a fresh store, dropped at the end."""
    if backend == "sqlite":
        yield ("--db", f"sqlite:///{root / 'store.sqlite3'}")
        return
    fresh = fresh_postgres if backend == "postgres" else fresh_mysql
    with fresh() as (url, instance):
        yield ("--db", url, "--instance-name", instance)


class Trials:
    """A served, pushed crash_project and the trials run on it."""

    def __init__(self, backend: str, root: Path, serve_args: tuple[str, ...], seed: int) -> None:
        self.root, self.serve_args = root, serve_args
        self.rng = random.Random(seed)
        self.records = Records()
        self.report = Report(backend)
        self.secret = generate_instance_secret()
        instance = DEFAULT_INSTANCE_NAME
        if "--instance-name" in serve_args:
            instance = serve_args[serve_args.index("--instance-name") + 1]
        project = project_copy(root, "crash_project", HERE / "crash_project")
        served = self._start()
        key = issue_admin_key(instance, self.secret)
        self.deployment = Deployment(served, key, project, npm_clients("crash trials"), self.secret)
        self.push_body = push_request(self.deployment)
        with httpx.Client(base_url=served.url, timeout=120) as client:
            replay_push(client, key, self.push_body)

    def close(self) -> None:
        self.deployment.served.stop()

    def trial(self, number: int, mode: str) -> bool:
        """One load, kill, restart and check; False if the server did not come back."""
        self.report.modes[mode] = self.report.modes.get(mode, 0) + 1
        served = self.deployment.served
        stop = threading.Event()
        records = self.records
        seed = self.rng.randrange(2**32)
        threads = [
            threading.Thread(
                target=writer,
                args=(served.url, f"t{number}w{w}", records.pairs, random.Random(seed + w), stop),
            )
            for w in range(WRITERS)
        ]
        threads.append(
            threading.Thread(
                target=scheduler_client,
                args=(served.url, records, f"t{number}", random.Random(seed), stop),
            )
        )
        if mode == "push":
            threads.append(
                threading.Thread(
                    target=pusher,
                    args=(
                        served.url,
                        self.deployment.admin_key,
                        self.push_body,
                        records.pushes,
                        replay_push,
                        stop,
                    ),
                )
            )
        if mode == "import":
            threads.append(
                threading.Thread(
                    target=importer,
                    args=(
                        self._cli,
                        self._alive,
                        self.root,
                        records.imports,
                        random.Random(seed),
                        stop,
                    ),
                )
            )
        records.scheduled.clear()
        for thread in threads:
            thread.start()
        ts_before = self._kill_at_random(mode)
        stop.set()
        for thread in threads:
            thread.join(60)
        if mode == "startup":
            self._kill_while_starting(self.rng.uniform(0.2, 4.0))
        started = time.monotonic()
        try:
            self.deployment.served = self._start()
        except AssertionError as exc:
            self.report.findings.add("restart_failures", 1, str(exc)[-2000:])
            return False
        self.report.restart_seconds.append(time.monotonic() - started)
        with httpx.Client(base_url=self.deployment.url, timeout=60) as client:
            check_restarted(client, records, ts_before, self.report.findings)
        self.report.trials += 1
        return True

    def _start(self) -> Served:
        """The server on the store; started again on other ports if another process took
        one of the free ports it was given meanwhile (not a failure of the store)."""
        for _ in range(3):
            try:
                return start(
                    self.root, self.secret, *self.serve_args, env={"DO_NOT_REQUIRE_SSL": "1"}
                )
            except AssertionError as exc:
                if "address already in use" not in str(exc):
                    raise
                self.report.port_clashes += 1
        raise AssertionError("three starts in a row lost their ports to other processes")

    def _kill_while_starting(self, delay: float) -> None:
        """Start the server on the store and SIGKILL it `delay` seconds later, while it
        opens the store, recovers and perhaps catches up on due jobs."""
        environ = {k: v for k, v in os.environ.items() if k not in ("POSTGRES_URL", "MYSQL_URL")}
        command = [
            sys.executable,
            "-c",
            START,
            "serve",
            "--port",
            str(free_port()),
            "--site-port",
            str(free_port()),
            "--dashboard-port",
            "0",
            *self.serve_args,
        ]
        with (self.root / "killed-while-starting.log").open("w") as log:
            process = subprocess.Popen(
                command,
                cwd=self.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environ | {"INSTANCE_SECRET": self.secret, "DO_NOT_REQUIRE_SSL": "1"},
            )
        time.sleep(delay)
        process.kill()
        process.wait()
        self._note_errors((self.root / "killed-while-starting.log").read_text())

    def _alive(self) -> bool:
        try:
            return httpx.get(f"{self.deployment.url}/version", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def _cli(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.deployment.cli_command(*args),
            cwd=self.deployment.project,
            env=self.deployment.cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def _kill_at_random(self, mode: str) -> int:
        """Wait for the mode's moment, then a random while; SIGKILL. The last query ts seen."""
        records, served = self.records, self.deployment.served
        event = {
            "push": records.pushes.in_flight,
            "import": records.imports.in_flight,
            "scheduled": records.scheduled,
        }.get(mode)
        deadline = time.monotonic() + self.rng.uniform(*LOAD_SECONDS)
        ts = 0
        with httpx.Client(base_url=served.url, timeout=10) as client:
            if event is not None:
                event.wait(30)
                deadline = time.monotonic() + self.rng.uniform(*MODE_DELAY.get(mode, (0, 1)))
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    ts = max(ts, query_ts(client))
                time.sleep(0.05)
        if mode in ("push", "import") and event is not None and event.is_set():
            self.report.mid[mode] = self.report.mid.get(mode, 0) + 1
        served.process.kill()
        served.process.wait()
        self._note_errors(served.output)
        return ts

    def _note_errors(self, output: str) -> None:
        """Count what the server logged as errors (each traceback by its last line)."""
        for block in output.split("Traceback (most recent call last):")[1:]:
            lines = [line for line in block.strip().splitlines() if line.strip()]
            self.report.server_errors[lines[-1][:200] if lines else "?"] += 1
        for line in output.splitlines():
            if line.startswith("ERROR"):
                self.report.server_errors[line[:200]] += 1


def run(
    backend: str, trials: int, seed: int, modes: Sequence[str] = MODES, quiet: bool = False
) -> tuple[Report, Records]:
    """`trials` trials on a fresh store of `backend`, their modes taken in turn from `modes`."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"crash-{backend}-") as tmp:
        root = Path(tmp)
        with store(backend, root) as serve_args:
            runner = Trials(backend, root, serve_args, seed)
            try:
                for number in range(trials):
                    if not runner.trial(number, modes[number % len(modes)]):
                        break
                    if not quiet:
                        print(
                            f"trial {number + 1}/{trials}: "
                            f"{runner.report.findings.violations()} violations",
                            flush=True,
                        )
            finally:
                runner.close()
    runner.report.wall_seconds = time.monotonic() - started
    return runner.report, runner.records


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, default="sqlite")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--modes", default=",".join(MODES), help="modes taken in turn")
    options = parser.parse_args()
    modes = options.modes.split(",")
    if unknown := set(modes) - set(MODES):
        parser.error(f"unknown modes {sorted(unknown)}: choose among {', '.join(MODES)}")
    report, records = run(options.backend, options.trials, options.seed, modes)
    print(json.dumps(report.summary(records), indent=2))
    return 1 if report.findings.violations() else 0


if __name__ == "__main__":
    raise SystemExit(main())
