"""Run one parser target of `targets.py` under atheris (coverage-guided libFuzzer), by hand.

    PYTHONPATH=. python tests/fuzz/atheris_run.py TARGET [libFuzzer flags]
    PYTHONPATH=. python tests/fuzz/atheris_run.py sync_message -max_total_time=600
    PYTHONPATH=. python tests/fuzz/atheris_run.py --list

Without a corpus directory among the flags, the target's seeds are written to a fresh
one (`-artifact_prefix` defaults beside it too), so every run starts from valid inputs;
`convex.dict` (the wire formats' tokens) is the dictionary unless `-dict=` names another.
libFuzzer's last lines give the count ("Done N runs in S second(s)"); a finding stops
the run with the input saved as `crash-*`, which `python tests/fuzz/atheris_run.py
TARGET crash-<hash>` replays. atheris is not a CI dependency: `pip install atheris`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import atheris  # noqa: E402

with atheris.instrument_imports(include=["convexlite"]):
    import targets  # noqa: E402


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in targets.TARGETS:
        print("targets:", ", ".join(targets.TARGETS))
        raise SystemExit(0 if "--list" in argv else 2)
    name, flags = argv[1], argv[2:]
    if not any(not flag.startswith("-") for flag in flags):
        corpus = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-"))
        for i, seed in enumerate(targets.SEEDS[name]):
            (corpus / f"seed-{i}").write_bytes(seed)
        flags = [*flags, str(corpus)]
        if not any(flag.startswith("-artifact_prefix=") for flag in flags):
            flags.append(f"-artifact_prefix={corpus}/")
    if not any(flag.startswith("-dict=") for flag in flags):
        flags.append(f"-dict={Path(__file__).parent / 'convex.dict'}")
    target = targets.TARGETS[name]
    atheris.Setup([argv[0], *flags], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
