"""`convexlite serve` with no app: a standalone backend in the current directory, like
`convex-local-backend`, run as a real process."""

from __future__ import annotations

import signal
import threading
import time

import httpx
from served import Served


def test_standalone_backend_keeps_its_data_and_key_in_the_current_directory(tmp_path):
    first = Served(tmp_path)
    try:
        site = httpx.get(f"http://127.0.0.1:{first.site_port}/anything", timeout=5)
        assert site.status_code == 404
    finally:
        first.stop()
    assert first.process.returncode == 0
    assert (tmp_path / "convex_local_backend.sqlite3").exists()
    [line] = [x for x in first.output.splitlines() if x.startswith("Admin key (shown once): ")]
    key = line.removeprefix("Admin key (shown once): ")

    second = Served(tmp_path)
    try:
        headers = {"Authorization": f"Convex {key}"}
        checked = httpx.get(f"{second.url}/api/check_admin_key", headers=headers, timeout=5)
        assert checked.status_code == 200
        spec = {"path": "_system/cli/modules:apiSpec", "args": {}}
        listed = httpx.post(f"{second.url}/api/function", json=spec, headers=headers, timeout=5)
        assert listed.json() == {"status": "success", "value": []}
    finally:
        second.stop()
    assert "Admin key (shown once)" not in second.output


def test_requests_are_logged_only_with_access_log(tmp_path):
    quiet, loud = tmp_path / "quiet", tmp_path / "loud"
    quiet.mkdir()
    loud.mkdir()
    for cwd, args in ((quiet, ()), (loud, ("--access-log",))):
        served = Served(cwd, *args)
        try:
            assert httpx.get(f"{served.url}/instance_name", timeout=5).status_code == 200
        finally:
            served.stop()
        logged = '"GET /instance_name HTTP/1.1" 200' in served.output
        assert logged is bool(args), served.output


def test_a_waiting_log_poll_does_not_hold_the_stop(tmp_path):
    """`npx convex dev`, `npx convex logs` and the dashboard's Logs page keep a long poll open
    (up to a minute); a stop answers it at once instead of waiting for it to time out."""
    served = Served(tmp_path)
    [line] = [x for x in served.output.splitlines() if x.startswith("Admin key (shown once): ")]
    headers = {"Authorization": f"Convex {line.removeprefix('Admin key (shown once): ')}"}
    url = f"{served.url}/api/stream_function_logs?cursor={time.time() * 1000}"
    answers: list[httpx.Response] = []
    poll = threading.Thread(
        target=lambda: answers.append(httpx.get(url, headers=headers, timeout=90)), daemon=True
    )
    poll.start()
    time.sleep(1)  # the poll is waiting
    started = time.monotonic()
    served.process.send_signal(signal.SIGTERM)
    served.process.wait(10)
    assert time.monotonic() - started < 5
    poll.join(5)
    assert answers and answers[0].status_code == 200 and answers[0].json()["entries"] == []
