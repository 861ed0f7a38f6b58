"""The function log stream (spec/protocol.md §3.4.3): the buffer, and what executions record."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest

from convexlite import App, Backend, ConvexError
from convexlite.functions import logs
from convexlite.functions.function_log import FunctionLog, LogEntry, completion
from convexlite.values.http import HttpRequest


def entry(name: str) -> LogEntry:
    return LogEntry("Completion", {"identifier": name})


def names(entries: list[LogEntry]) -> list[str]:
    return [e.fields["identifier"] for e in entries]


def test_keys_strictly_increase_even_when_the_clock_stands_still():
    log = FunctionLog(clock=lambda: 1000.0)
    keys = [log.append(entry(str(i))) for i in range(5)]
    assert keys == sorted(set(keys))
    assert keys[0] == 1_000_000.0
    assert log.last_key == keys[-1]


def test_since_returns_newer_entries_in_order_and_the_newest_key():
    log = FunctionLog()
    keys = [log.append(entry(str(i))) for i in range(4)]
    found, cursor = log.since(0)
    assert names(found) == ["0", "1", "2", "3"] and cursor == keys[-1]
    found, cursor = log.since(keys[1])
    assert names(found) == ["2", "3"] and cursor == keys[-1]
    assert log.since(keys[-1]) == ([], keys[-1])
    assert log.since(keys[-1] + 5) == ([], keys[-1] + 5)


def test_the_buffer_is_bounded():
    log = FunctionLog(max_entries=3)
    for i in range(10):
        log.append(entry(str(i)))
    assert names(log.since(0)[0]) == ["7", "8", "9"]
    with pytest.raises(ValueError):
        FunctionLog(max_entries=0)


async def test_wait_returns_at_once_when_entries_exist():
    log = FunctionLog()
    key = log.append(entry("a"))
    started = time.monotonic()
    found, cursor = await log.wait_since(0, 30)
    assert names(found) == ["a"] and cursor == key
    assert time.monotonic() - started < 1


async def test_wait_times_out_with_the_cursor_unchanged():
    log = FunctionLog()
    log.append(entry("old"))
    cursor = log.last_key
    started = time.monotonic()
    assert await log.wait_since(cursor, 0.2) == ([], cursor)
    assert 0.15 < time.monotonic() - started < 5
    assert await log.wait_since(cursor, 0) == ([], cursor)


async def test_wait_wakes_on_an_append_from_another_thread():
    log = FunctionLog()
    timer = threading.Timer(0.1, lambda: log.append(entry("late")))
    timer.start()
    started = time.monotonic()
    found, cursor = await log.wait_since(0, 30)
    timer.join()
    assert names(found) == ["late"] and cursor == log.last_key
    assert time.monotonic() - started < 5


async def test_many_waiters_and_a_cancelled_one():
    log = FunctionLog()
    waiters = [asyncio.create_task(log.wait_since(0, 30)) for _ in range(5)]
    cancelled = asyncio.create_task(log.wait_since(0, 30))
    await asyncio.sleep(0.05)
    cancelled.cancel()
    await asyncio.sleep(0)
    await asyncio.to_thread(log.append, entry("x"))
    results = await asyncio.wait_for(asyncio.gather(*waiters), 5)
    assert all(names(found) == ["x"] for found, _ in results)
    assert log._waiters == []


def test_rendering_structured_and_string_lines():
    line = logs.LogLine("WARN", "'careful'", 1_700_000_000_123, False)
    cut = logs.LogLine("LOG", "'abc'", 1_700_000_000_124, True)
    rendered = completion(
        udf_type="Query",
        identifier="a:b",
        lines=[line, cut],
        started=1.0,
        ended=1.5,
        error=None,
        request_id="r",
        execution_id="e",
        caller="SyncWorker",
        environment="isolate",
        identity_type="unknown",
    )
    strings = rendered.render(structured=False)
    assert strings["kind"] == "Completion"
    assert strings["logLines"] == ["[WARN] 'careful'", "[LOG] 'abc' (truncated due to length)"]
    assert strings["executionTime"] == 0.5 and strings["timestamp"] == 1.5
    structured = rendered.render(structured=True)["logLines"]
    assert structured[0] == {
        "messages": ["'careful'"],
        "level": "WARN",
        "timestamp": 1_700_000_000_123,
        "isTruncated": False,
        "systemMetadata": None,
    }
    assert structured[1]["isTruncated"] is True


def test_collector_keeps_structured_lines_beside_strings():
    collector = logs.LogCollector()
    seen: list[logs.LogLine] = []
    collector.on_line = seen.append
    collector.log("INFO", "hello")
    collector.log("LOG", "x" * (logs.MAX_LINE_BYTES + 10))
    assert collector.lines[0] == "[INFO] hello"
    assert [line.rendered() for line in collector.structured] == collector.lines
    assert collector.structured[1].is_truncated
    assert seen == collector.structured


app = App()


@app.query(name="log:q")
def q(ctx, args):
    print("in query")
    return 1


@app.mutation(name="log:m")
def m(ctx, args):
    print("in mutation")
    ctx.db.insert("notes", {"n": 1.0})
    ctx.db.insert("notes", {"n": 2.0})
    ctx.db.query("notes").collect()
    return None


@app.mutation(name="log:bad")
def bad(ctx, args):
    print("before failing")
    raise ConvexError("nope")


@app.action(name="log:a")
async def a(ctx, args):
    print("in action")
    await ctx.run_query("log:q", {})
    return None


@app.http_action(path="/hi", method="GET")
async def hi(ctx, request):
    from starlette.responses import PlainTextResponse

    print("in http")
    return PlainTextResponse("hi")


async def test_executions_record_completion_and_progress_entries():
    async with Backend(app) as backend:
        await backend.query("log:q")
        await backend.mutation("log:m")
        with pytest.raises(ConvexError):
            await backend.mutation("log:bad")
        await backend.action("log:a")
        request = HttpRequest("GET", "http://x/hi", "/hi", (), b"")
        response = await backend.run_http_action(request)
        assert response.status == 200
        system = backend.engine.runner.run_query("_system/cli/convexUrl:cloudUrl", internal_ok=True)
        assert system.value
        entries, cursor = await backend.function_logs(0, structured=False, timeout=0)
    assert cursor > 0
    seen = [(e["kind"], e["udfType"], e["identifier"]) for e in entries]
    assert seen == [
        ("Completion", "Query", "log:q"),
        ("Completion", "Mutation", "log:m"),
        ("Completion", "Mutation", "log:bad"),
        ("Progress", "Action", "log:a"),
        ("Completion", "Query", "log:q"),
        ("Completion", "Action", "log:a"),
        ("Progress", "HttpAction", "GET /hi"),
        ("Completion", "HttpAction", "GET /hi"),
    ]
    query, mutation, failed, progress, nested, action, http_progress, http = entries
    assert query["logLines"] == ["[LOG] 'in query'"]
    assert query["success"] is None and query["error"] is None
    assert query["environment"] == "python" and query["caller"] == "SyncWorker"
    assert mutation["logLines"] == ["[LOG] 'in mutation'"]
    assert failed["error"] == "nope" and failed["logLines"] == ["[LOG] 'before failing'"]
    assert progress["logLines"] == ["[LOG] 'in action'"]
    assert progress["requestId"] == action["requestId"]
    assert progress["timestamp"] == action["executionTimestamp"]
    assert nested["caller"] == "Action"
    assert action["logLines"] == [] and action["error"] is None
    assert http_progress["logLines"] == ["[LOG] 'in http'"]
    assert http["success"] == {"status": "200"} and http["caller"] == "HttpEndpoint"
    usage = mutation["usageStats"]
    assert usage["databaseWriteDocuments"] == 2 and usage["databaseReadDocuments"] == 2
    assert failed["usageStats"]["databaseWriteDocuments"] == 0  # rolled back: nothing written
    for e in entries:
        if e["kind"] == "Completion":
            assert e["executionTime"] >= 0 and e["timestamp"] >= e["executionTimestamp"]
            assert e["usageStats"]["databaseReadBytes"] == 0  # bytes are not counted yet
            assert len(e["requestId"]) == 16
            execution = uuid.UUID(e["executionId"])
            assert execution.version == 4 and str(execution) == e["executionId"]
