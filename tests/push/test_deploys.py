"""Deploys under load (issue 9): atomic pushes, zero failed requests, flat memory, restarts.

One served backend takes 50 deploys of tests/push/projects/versioned, whose functions report
the number written in `DEPLOY_VERSION`, while HTTP loops call a query, a mutation and a slow
action and two ConvexClient processes (WebSocket) watch the versioned query. A few deploys are
real `npx convex deploy` runs (the first one through a recording proxy); the others replay the
CLI's own `start_push` body with the number rewritten in the bundled module, then
`wait_for_schema` and `finish_push` as the CLI does, which keeps the file within its time budget.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from push_harness import Deployment, replay_push, restart, rss_kb, serve_project

from convexlite.server.push_api import decode_body

DEPLOYS = 50
CLI_DEPLOYS = frozenset({1, 25, DEPLOYS})
RSS_GROWTH_BOUND_KB = 60 * 1024
"""Allowed VmRSS growth of the server from deploy 10 to deploy 50 (measured: see the report)."""
MARKER = re.compile(r"deploy-version:\d+")


# ---- a recording proxy between the CLI and the server ------------------------------------------


class RecordingProxy:
    """Forwards every request to `target` and keeps (path, headers, raw body) of each."""

    def __init__(self, target: str) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        proxy = self
        client = httpx.Client(base_url=target, timeout=120)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")
                }
                proxy.requests.append((self.path, headers, raw))
                answer = client.request(self.command, self.path, headers=headers, content=raw)
                body = answer.content
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in ("content-length", "content-encoding", "connection",
                                           "transfer-encoding"):  # fmt: skip
                        self.send_header(key, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _forward

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # the CLI closing a kept-alive connection

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._client = client
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def body(self, path: str) -> dict[str, Any]:
        """The last request body sent to `path`, decompressed as the server does."""
        for sent, headers, raw in reversed(self.requests):
            if sent == path:
                encoding = {k.lower(): v for k, v in headers.items()}.get("content-encoding")
                return decode_body(raw, encoding)
        raise AssertionError(f"the CLI sent nothing to {path}: {[r[0] for r in self.requests]}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._client.close()


# ---- deploys -----------------------------------------------------------------------------------


def set_version(project: Path, version: int) -> None:
    module = project / "convex" / "versioned.ts"
    module.write_text(MARKER.sub(f"deploy-version:{version}", module.read_text()))


def cli_deploy(deployment: Deployment, version: int) -> None:
    set_version(deployment.project, version)
    deployment.cli("deploy", "-y", "--typecheck", "disable", "--codegen", "disable")


def replay_deploy(
    client: httpx.Client, key: str, start_body: dict[str, Any], version: int
) -> tuple[float, float]:
    """The CLI's push of `start_body` with the version rewritten. Returns when `finish_push`
    was sent and when it returned (the new version went live in between)."""
    body = json.loads(json.dumps(start_body))
    changed = body["appDefinition"]["changedModules"]
    [module] = [m for m in changed if m["path"] == "versioned.js"]
    module["source"], replaced = MARKER.subn(f"deploy-version:{version}", module["source"])
    assert replaced == 1, module["source"]
    diff, sent = replay_push(client, key, body)
    assert diff["componentDiffs"][""]["diffType"] == {"type": "modify"}, diff
    return sent, time.monotonic()


# ---- load --------------------------------------------------------------------------------------


@dataclass
class Loop:
    """One thread calling one function over HTTP until stopped."""

    url: str
    kind: str
    path: str
    args: dict[str, Any]
    pause: float
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)
    spans: list[tuple[float, float, dict[str, Any]]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while not self.stop.is_set():
                began = time.monotonic()
                try:
                    answer = client.post(
                        f"/api/{self.kind}",
                        json={"path": self.path, "args": self.args, "format": "json"},
                    )
                    body = answer.json()
                except Exception as exc:  # a failed request is a finding, not a crash
                    self.failures.append(repr(exc))
                    continue
                if answer.status_code != 200 or body.get("status") != "success":
                    self.failures.append(f"{answer.status_code} {answer.text[:500]}")
                    continue
                self.ok += 1
                self.versions.append(body["value"]["version"])
                self.spans.append((began, time.monotonic(), body["value"]))
                time.sleep(self.pause)


@dataclass
class Versioned:
    deployment: Deployment
    start_push: dict[str, Any]
    """The body of the first CLI deploy's `start_push` (version 1), as the CLI sent it."""
    cli_seconds: float


@pytest.fixture(scope="module")
def versioned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Versioned]:
    """The project served and deployed at version 1 by the CLI, through a recording proxy."""
    root = tmp_path_factory.mktemp("deploys")
    deployment = serve_project(root, "versioned")
    try:
        began = time.monotonic()
        proxy = RecordingProxy(deployment.url)
        try:
            set_version(deployment.project, 1)
            direct = deployment.url
            deployment.served.url = proxy.url
            try:
                deployment.cli("deploy", "-y", "--typecheck", "disable")
            finally:
                deployment.served.url = direct
            start_body = proxy.body("/api/deploy2/start_push")
        finally:
            proxy.close()
        yield Versioned(deployment, start_body, time.monotonic() - began)
    finally:
        deployment.served.stop()


def current_version(deployment: Deployment) -> int:
    version = deployment.call("query", "versioned:current")["value"]["version"]
    assert isinstance(version, int | float)
    return int(version)


def test_fifty_deploys_under_load_fail_no_request_and_keep_memory_flat(
    versioned: Versioned,
) -> None:
    deployment, start_body = versioned.deployment, versioned.start_push
    began = time.monotonic()
    cli_seconds = [versioned.cli_seconds]
    first = current_version(deployment)
    assert first == 1, "this test needs the fixture's first deploy"

    final = {"version": DEPLOYS}
    # `versioned:latest` reads the notes the mutation loop writes, so its watchers see writes and
    # pushes interleaved; a query that reads nothing is tested below
    watchers = [
        deployment.watcher("watch-until", "versioned:latest", "{}", json.dumps(final))
        for _ in range(2)
    ]
    loops = [
        Loop(deployment.url, "query", "versioned:current", {}, 0.005),
        Loop(deployment.url, "query", "versioned:latest", {}, 0.01),
        Loop(deployment.url, "mutation", "versioned:add", {"body": "x"}, 0.01),
        Loop(deployment.url, "action", "versioned:slow", {"ms": 1000}, 0.0),
    ]
    threads = [threading.Thread(target=loop.run, daemon=True) for loop in loops]
    rss: dict[int, int] = {}
    finished_at: dict[int, tuple[float, float]] = {}
    replay_seconds: list[float] = []
    completed = False
    try:
        for watcher in watchers:
            assert watcher.stdout is not None
            assert json.loads(watcher.stdout.readline()) == {"watching": "versioned:latest"}
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        with httpx.Client(base_url=deployment.url, timeout=60) as client:
            for version in range(2, DEPLOYS + 1):
                sent = time.monotonic()
                if version in CLI_DEPLOYS:
                    cli_deploy(deployment, version)
                    cli_seconds.append(time.monotonic() - sent)
                    finished_at[version] = (sent, time.monotonic())
                else:
                    finished_at[version] = replay_deploy(
                        client, deployment.admin_key, start_body, version
                    )
                    replay_seconds.append(time.monotonic() - sent)
                # a call made after the deploy returned runs the new code
                after = client.post(
                    "/api/query", json={"path": "versioned:current", "args": {}, "format": "json"}
                ).json()
                assert (after["status"], after["value"]) == ("success", {"version": version})
                if version % 10 == 0:
                    rss[version] = rss_kb(deployment.served.process.pid)
        time.sleep(0.5)
        completed = True
    finally:
        for loop in loops:
            loop.stop.set()
        for thread in threads:
            thread.join(30)
        outputs = []
        for watcher in watchers:
            try:
                out, err = watcher.communicate(timeout=30 if completed else 0.1)
            except Exception:
                watcher.kill()
                out, err = watcher.communicate()
            outputs.append((watcher.returncode, out, err))

    # zero failed requests, and each loop's versions never go back
    for loop in loops:
        assert loop.failures == [], (loop.path, loop.failures[:5])
        assert loop.ok > 0, loop.path
        assert loop.versions == sorted(loop.versions), (loop.path, loop.versions)
    # every subscriber re-ran on the new code, in order, up to the last deploy
    seen_by_watcher = []
    for code, out, err in outputs:
        assert code == 0, (out[-3000:], err[-2000:])
        results = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        assert all(r["ok"] for r in results), results
        versions = [r["value"]["version"] for r in results]
        assert versions == sorted(versions) and versions[-1] == DEPLOYS, versions
        assert len(set(versions)) >= 5, versions
        seen_by_watcher.append(len(set(versions)))
    # calls in flight across a whole deploy finished on the version they started with
    actions = loops[3]
    spanning = [
        (value, version)
        for began_at, ended_at, value in actions.spans
        for version, (sent, done) in finished_at.items()
        if began_at < sent and done < ended_at
    ]
    # memory stays flat
    growth = rss[DEPLOYS] - rss[10]
    report = {
        "rss_kb": rss,
        "growth_kb_10_to_50": growth,
        "requests_ok": {loop.path + "/" + loop.kind: loop.ok for loop in loops},
        "distinct_versions_seen_by_watchers": seen_by_watcher,
        "actions_spanning_a_deploy": len(spanning),
        "cli_deploy_s": [round(s, 2) for s in cli_seconds],
        "replay_deploy_s_mean": round(sum(replay_seconds) / len(replay_seconds), 3),
        "total_s": round(time.monotonic() - began, 1),
    }
    print("deploys under load:", json.dumps(report))
    assert spanning, "no action was in flight across a deploy"
    for value, version in spanning:
        assert value["started"] == value["version"] < version, (value, version)
    assert growth < RSS_GROWTH_BOUND_KB, report


def test_a_restarted_server_serves_the_last_push_without_pushing_again(
    versioned: Versioned,
) -> None:
    deployment = versioned.deployment
    version = current_version(deployment)
    assert deployment.call("mutation", "versioned:add", {"body": "before restart"})["ok"]
    restart(deployment)
    assert deployment.call("query", "versioned:latest")["value"] == {
        "version": version,
        "latest": "before restart",
    }
    assert deployment.call("mutation", "versioned:add", {"body": "after restart"})["value"] == {
        "version": version
    }
    after = deployment.call("query", "versioned:latest")["value"]
    assert after == {"version": version, "latest": "after restart"}
    assert deployment.call("action", "versioned:slow", {"ms": 1})["value"] == {
        "version": version,
        "started": version,
    }
    # the CLI sees every module as deployed already
    hashes = httpx.post(
        f"{deployment.url}/api/get_config_hashes",
        json={"version": "1.48.0", "adminKey": deployment.admin_key},
        timeout=30,
    ).json()
    assert "versioned.js" in {m["path"] for m in hashes["moduleHashes"]}


def test_a_subscription_to_a_query_that_reads_nothing_reruns_on_a_push(
    versioned: Versioned,
) -> None:
    deployment = versioned.deployment
    version = current_version(deployment) + 1
    watcher = deployment.watcher(
        "watch-until", "versioned:current", "{}", json.dumps({"version": version})
    )
    try:
        assert watcher.stdout is not None
        assert json.loads(watcher.stdout.readline()) == {"watching": "versioned:current"}
        assert json.loads(watcher.stdout.readline())["value"] == {"version": version - 1}
        cli_deploy(deployment, version)
        assert deployment.call("query", "versioned:current")["value"] == {"version": version}
        out, _ = watcher.communicate(timeout=5)
        assert json.loads(out.splitlines()[-1])["value"] == {"version": version}
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()


def test_npx_convex_dev_once_pushes(versioned: Versioned) -> None:
    deployment = versioned.deployment
    version = current_version(deployment) + 1
    set_version(deployment.project, version)
    env_local = deployment.project / ".env.local"
    env_local.unlink(missing_ok=True)
    done = deployment.cli("dev", "--once", "--typecheck", "disable")
    assert "Convex functions ready!" in done.stdout + done.stderr, done.stdout + done.stderr
    assert deployment.call("query", "versioned:current")["value"] == {"version": version}
    # `dev` writes the deployment's canonical URLs (get_canonical_urls) for the app's bundler
    written = dict(line.split("=", 1) for line in env_local.read_text().splitlines() if "=" in line)
    assert written == {
        "CONVEX_URL": deployment.url,
        "CONVEX_SITE_URL": deployment.served.site_url,
    }


def test_npx_convex_run_watch_prints_updates(versioned: Versioned) -> None:
    deployment = versioned.deployment
    watching = subprocess.Popen(
        deployment.cli_command("run", "--watch", "versioned:latest"),
        cwd=deployment.project, env=deployment.cli_env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert watching.stdout is not None
        reader = threading.Thread(
            target=lambda: lines.extend(iter(watching.stdout.readline, "")), daemon=True
        )
        reader.start()
        deadline = time.monotonic() + 30
        while not any("version" in line for line in lines):  # the first result
            assert time.monotonic() < deadline, lines
            time.sleep(0.1)
        added = deployment.call("mutation", "versioned:add", {"body": "seen by run --watch"})
        assert added["ok"], added
        while not any("seen by run --watch" in line for line in lines):
            assert time.monotonic() < deadline, lines
            time.sleep(0.1)
        assert watching.poll() is None  # still watching
    finally:
        watching.kill()
        watching.wait()
