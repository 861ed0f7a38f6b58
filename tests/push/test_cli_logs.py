"""The function log tail of the real CLI (`npx convex logs`, `npx convex dev`) against
`convexlite serve` (spec/protocol.md §3.4.3)."""

from __future__ import annotations

import time

from push_harness import Deployment, running


def send_until_logged(deployment: Deployment, lines: list[str], marker: str) -> str:
    """Call `messages:send` (it logs "sending") until the CLI prints the line; that line."""
    deadline = time.monotonic() + 60
    attempt = 0
    while True:
        attempt += 1
        sent = deployment.call(
            "mutation",
            "messages:send",
            {"channel": marker, "author": f"{marker}-{attempt}", "body": "hello logs"},
        )
        assert sent["ok"], sent
        waited = time.monotonic() + 2
        while time.monotonic() < waited:
            for line in list(lines):
                if "sending" in line and marker in line:
                    return line
            time.sleep(0.1)
        assert time.monotonic() < deadline, "".join(lines)


def test_npx_convex_logs_prints_a_mutations_log_line(deployment: Deployment) -> None:
    with running(deployment, "logs") as lines:
        line = send_until_logged(deployment, lines, "logs-tail")
        assert "[CONVEX M(messages:send)]" in line, line
        assert "[LOG]" in line, line
        output = "".join(lines)
        assert "Retrying request" not in output, output
        assert "Failed to fetch logs" not in output, output


def test_npx_convex_dev_tails_logs_without_retrying(deployment: Deployment) -> None:
    with running(deployment, "dev", "--typecheck", "disable") as lines:
        deadline = time.monotonic() + 120
        while not any("Convex functions ready!" in line for line in lines):
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.2)
        line = send_until_logged(deployment, lines, "dev-tail")
        assert "[CONVEX M(messages:send)]" in line, line
        time.sleep(3)  # a few polls' worth of quiet
        output = "".join(lines)
        assert "Retrying request" not in output, output
        assert "Failed to fetch logs" not in output, output
