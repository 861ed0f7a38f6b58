"""The operator commands of the real CLI (`data`, `env`, `logs`, `function-spec`, `run`,
`run --watch`, `export`, `import`) against `convexlite serve` on SQLite, Postgres and MySQL,
and a snapshot carried SQLite → ZIP → Postgres → ZIP → MySQL by the CLI alone.

One served backend per store for the whole module (a push costs seconds), each on a
database of its own that is dropped at the end (tests/servers.py; without the servers the
Postgres and MySQL cases skip unless CONVEXLITE_REQUIRE_SERVERS=1)."""

from __future__ import annotations

import base64
import contextlib
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from npm_clients import npm_clients
from push_harness import HERE, Deployment, project_copy, running, start
from servers import fresh_mysql, fresh_postgres

from convexlite.auth.keys import generate_instance_secret, issue_admin_key
from convexlite.persistence import DEFAULT_INSTANCE_NAME

STORES = ("sqlite", "postgres", "mysql")
FRESH: dict[str, Callable[[], contextlib.AbstractContextManager[tuple[str, str]]]] = {
    "postgres": fresh_postgres,
    "mysql": fresh_mysql,
}


class Backends:
    """The served, pushed tests/push/project of each store, started on first use."""

    def __init__(self, tmp: pytest.TempPathFactory, stack: contextlib.ExitStack) -> None:
        self.tmp, self.stack = tmp, stack
        self.started: dict[str, Deployment] = {}

    def __getitem__(self, store: str) -> Deployment:
        if store not in self.started:
            self.started[store] = self._serve(store)
        return self.started[store]

    def _serve(self, store: str) -> Deployment:
        root = self.tmp.mktemp(f"cli-{store}")
        serve_args: tuple[str, ...] = ()
        instance = DEFAULT_INSTANCE_NAME
        if store in FRESH:  # a database of its own, dropped after the server stops
            url, instance = self.stack.enter_context(FRESH[store]())
            serve_args = ("--db", url, "--instance-name", instance)
        secret = generate_instance_secret()
        served = start(root, secret, *serve_args, env={"DO_NOT_REQUIRE_SSL": "1"})
        self.stack.callback(served.stop)
        project = project_copy(root, "project", HERE / "project")
        key = issue_admin_key(instance, secret)
        deployment = Deployment(served, key, project, npm_clients("the push tests"), secret)
        deployment.cli("deploy", "-y", "--typecheck", "disable")
        return deployment


@pytest.fixture(scope="module")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    with contextlib.ExitStack() as stack:
        yield Backends(tmp_path_factory, stack)


@pytest.fixture(params=STORES)
def deployment(request: pytest.FixtureRequest, backends: Backends) -> Deployment:
    return backends[request.param]


def output(deployment: Deployment, *args: str) -> str:
    done = deployment.cli(*args)
    return done.stdout + done.stderr


def send(deployment: Deployment, channel: str, body: str) -> str:
    """`messages:send` (it logs "sending" with the channel) through the HTTP client; the id."""
    return str(
        deployment.value(
            "mutation", "messages:send", {"channel": channel, "author": "t", "body": body}
        )
    )


def documents(deployment: Deployment, table: str) -> list[str]:
    """`npx convex data <table> --format jsonLines`: every document, oldest first, as printed
    (JavaScript notation: an int64 is `9n`, so the lines are compared as text)."""
    text = output(deployment, "data", table, "--format", "jsonLines", "--order", "asc")
    return [line for line in text.splitlines() if line.startswith("{")]


def printed(lines: list[str], wanted: Callable[[str], bool], timeout: float = 30) -> str:
    """The first line `wanted` accepts, waiting up to `timeout` seconds for it."""
    deadline = time.monotonic() + timeout
    while True:
        for line in list(lines):
            if wanted(line):
                return line
        assert time.monotonic() < deadline, "".join(lines)
        time.sleep(0.05)


def test_data_lists_the_tables_and_pages_one(deployment: Deployment) -> None:
    for n in range(3):
        send(deployment, "data", f"data {n}")
    assert {"messages", "counters", "blobs"} <= set(output(deployment, "data").split())
    newest = output(deployment, "data", "messages", "--limit", "2", "--order", "desc")
    assert "data 2" in newest and "data 1" in newest and "data 0" not in newest
    oldest = output(deployment, "data", "messages", "--limit", "1", "--order", "asc")
    assert "data 0" in oldest and "data 1" not in oldest


def test_env_set_list_get_remove(deployment: Deployment) -> None:
    output(deployment, "env", "set", "GREETING", "hello from the CLI")
    assert "GREETING=hello from the CLI" in output(deployment, "env", "list")
    assert output(deployment, "env", "get", "GREETING").strip() == "hello from the CLI"
    assert deployment.value("query", "env:read", {})["greeting"] == "hello from the CLI"
    output(deployment, "env", "remove", "GREETING")
    assert deployment.value("query", "env:read", {})["greeting"] is None


def test_run_a_mutation_then_logs_history_shows_its_line(deployment: Deployment) -> None:
    marker = f"history-{time.monotonic_ns()}"
    args = json.dumps({"channel": marker, "author": "cli", "body": "logged"})
    ran = output(deployment, "run", "messages:send", args)
    [document] = deployment.value("query", "messages:list", {"channel": marker})
    assert document["_id"] in ran
    with running(deployment, "logs", "--history", "50") as lines:
        line = printed(lines, lambda line: marker in line)
    assert "[CONVEX M(messages:send)]" in line and "[LOG]" in line and "sending" in line, line


def test_function_spec_lists_the_pushed_functions(deployment: Deployment) -> None:
    spec = json.loads(output(deployment, "function-spec"))
    functions = {
        function["identifier"]: function
        for function in spec["functions"]
        if "identifier" in function
    }
    send_spec = functions["messages.js:send"]
    assert send_spec["functionType"] == "Mutation" and send_spec["visibility"] == {"kind": "public"}
    assert json.loads(send_spec["args"])["value"]["channel"]["fieldType"] == {"type": "string"}
    assert functions["messages.js:remove"]["visibility"] == {"kind": "internal"}


def test_run_watch_prints_each_new_result(deployment: Deployment) -> None:
    channel = f"watch-{time.monotonic_ns()}"
    with running(
        deployment, "run", "--watch", "messages:list", json.dumps({"channel": channel})
    ) as lines:
        printed(lines, lambda line: line.strip() == "[]")
        send(deployment, channel, "seen live")
        printed(lines, lambda line: "seen live" in line)


def entries(path: Path) -> dict[str, bytes]:
    """A snapshot ZIP's files, but for README.md (it names the export's time)."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "README.md"}


def test_export_then_import_replace_restores_the_data(
    deployment: Deployment, tmp_path: Path
) -> None:
    send(deployment, "backup", "kept")
    backup, again = tmp_path / "backup.zip", tmp_path / "again.zip"
    assert "Created snapshot export" in output(deployment, "export", "--path", str(backup))
    send(deployment, "backup", "after the backup")
    assert "Import change summary" in output(deployment, "import", "--replace", "-y", str(backup))
    assert [
        m["body"] for m in deployment.value("query", "messages:list", {"channel": "backup"})
    ] == ["kept"]
    output(deployment, "export", "--path", str(again))
    assert entries(again) == entries(backup)


RAW = base64.b64encode(bytes(range(256))).decode()
"""Every byte value, most of them not UTF-8, in base64."""


def integer(value: int) -> dict[str, str]:
    """An int64 argument in Convex JSON (call.mjs decodes it with jsonToConvex)."""
    return {"$integer": base64.b64encode(value.to_bytes(8, "little", signed=True)).decode()}


def fill_with_every_kind_of_value(deployment: Deployment, tmp: Path) -> None:
    """int64 extremes, bytes that are not UTF-8, and floats an import writes."""
    calls = [
        {"kind": "mutation", "path": "values:bump", "args": {"name": name, "by": integer(by)}}
        for name, by in (("max", 2**63 - 1), ("min", -(2**63)), ("zero", 0))
    ]
    calls.append(
        {"kind": "mutation", "path": "values:storeBytes", "args": {"data": {"$bytes": RAW}}}
    )
    assert all(result["ok"] for result in deployment.node(json.dumps(calls)))
    floats = tmp / "floats.jsonl"
    floats.write_text(
        "".join(
            json.dumps(
                {"channel": "floats", "author": "import", "body": repr(likes), "likes": likes}
            )
            + "\n"
            for likes in (0.1, -2.5e-300, 1.7976931348623157e308, 123456789.125)
        )
    )
    output(deployment, "import", "--table", "messages", "--append", "-y", str(floats))


def test_a_snapshot_moves_from_sqlite_to_postgres_to_mysql_by_the_cli(
    backends: Backends, tmp_path: Path
) -> None:
    sqlite, postgres, mysql = (backends[store] for store in STORES)
    fill_with_every_kind_of_value(sqlite, tmp_path)
    tables = ("messages", "counters", "blobs")
    original = {table: documents(sqlite, table) for table in tables}
    zips = {store: tmp_path / f"{store}.zip" for store in STORES}
    output(sqlite, "export", "--path", str(zips["sqlite"]))
    output(postgres, "import", "--replace", "-y", str(zips["sqlite"]))
    output(postgres, "export", "--path", str(zips["postgres"]))
    output(mysql, "import", "--replace", "-y", str(zips["postgres"]))
    output(mysql, "export", "--path", str(zips["mysql"]))
    assert entries(zips["sqlite"]) == entries(zips["postgres"]) == entries(zips["mysql"])
    assert {table: documents(mysql, table) for table in tables} == original
    counters, [blob] = " ".join(original["counters"]), original["blobs"]
    assert "9223372036854775807n" in counters and "-9223372036854775808n" in counters
    assert f'Bytes("{RAW}")' in blob
    assert '"likes": -2.5e-300' in " ".join(original["messages"])
