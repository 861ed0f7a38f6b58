"""Long isolation runs by hand: list-append and bank workloads through the official clients,
faults injected, each history checked; prints one line per run and the totals.

    PYTHONPATH=. python tests/reliability/isolation/harness.py --backend sqlite \\
        --clients 2 --seconds 60 --faults connections,restart --runs 3

Exits 1 if any anomaly was found; each run's history is kept in --out, and
`--recheck DIR/history.jsonl` checks a kept one again.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent)]  # tests/ and tests/reliability/

from isolation import list_append  # noqa: E402
from isolation.faults import FAULTS  # noqa: E402
from isolation.history import load  # noqa: E402
from isolation.workload import Plan, run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="sqlite", help="sqlite, postgres, mysql or all")
    parser.add_argument("--clients", type=int, default=2, help="processes per client kind")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--faults", default="", help=f"comma-separated, of {', '.join(FAULTS)}")
    parser.add_argument("--fault-every", type=float, default=3.0, help="seconds between faults")
    parser.add_argument("--runs", type=int, default=1, help="runs per backend")
    parser.add_argument(
        "--tokens", action="store_true", help="every client sends la:txn tokens (app.py)"
    )
    parser.add_argument("--out", type=Path, default=None, help="where histories are kept")
    parser.add_argument("--recheck", type=Path, default=None, help="check this history only")
    args = parser.parse_args()
    if args.recheck is not None:
        anomalies = list_append.check(load(args.recheck))
        for anomaly in anomalies:
            print(f"{anomaly.kind}: {anomaly.detail}")
        print(f"{len(anomalies)} anomalies")
        return 1 if anomalies else 0
    backends = ["sqlite", "postgres", "mysql"] if args.backend == "all" else [args.backend]
    faults = tuple(f for f in args.faults.split(",") if f)
    out = args.out or Path(tempfile.mkdtemp(prefix="isolation-"))
    totals: Counter[str] = Counter()
    for backend in backends:
        for n in range(args.runs):
            workdir = out / f"{backend}-{n}"
            workdir.mkdir(parents=True, exist_ok=True)
            plan = Plan(
                backend=backend,
                seconds=args.seconds,
                npm_ws=args.clients,
                npm_http=args.clients,
                py_ws=max(1, args.clients // 2),
                py_http=max(1, args.clients // 2),
                faults=faults,
                fault_every=args.fault_every,
                tokens=args.tokens,
            )
            started = time.monotonic()
            outcome = run(plan, workdir)
            print(f"{backend} run {n} ({time.monotonic() - started:.0f} s): {outcome.summary()}")
            for error, count in outcome.errors.most_common(5):
                print(f"    {count} x {error!r}")
            for anomaly in outcome.anomalies[:10]:
                print(f"    {anomaly.kind}: {anomaly.detail}")
            totals["histories"] += 1
            totals["txns"] += len(outcome.ops)
            totals["ops"] += sum(outcome.counts.values())
            totals["faults"] += len(outcome.faults)
            totals["anomalies"] += len(outcome.anomalies)
    print(f"total: {dict(totals)}; histories in {out}")
    return 1 if totals["anomalies"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
