"""Log capture (functions.md §3.7): what a function prints or logs becomes its log lines."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from convexlite import App, Backend, SyncBackend, v
from convexlite.functions import logs

app = App()


@app.query(name="say:query")
def say_query(ctx, args):
    print("from a query")
    logging.warning("careful")
    return None


@app.mutation(name="say:mutation")
def say_mutation(ctx, args):
    print("from a mutation")
    logging.getLogger("app.module").error("it broke")
    return None


@app.action(name="say:syncAction")
def say_sync_action(ctx, args):
    print("from a sync action")
    logging.warning("careful")
    return None


@app.action(name="say:asyncAction")
async def say_async_action(ctx, args):
    print("from an async action")
    await asyncio.sleep(0)
    logging.warning("careful")
    return None


@app.query(name="say:shapes")
def say_shapes(ctx, args):
    print("two\nlines")
    print("it's", 42)
    print("no newline", end="")
    return None


@app.query(name="say:levels")
def say_levels(ctx, args):
    logger = logging.getLogger("tests.logs.verbose")
    logger.debug("d")
    logger.info("i")
    logger.warning("w")
    logger.critical("c")
    return None


@app.query(name="say:many", args={"n": v.number()})
def say_many(ctx, args):
    for i in range(int(args["n"])):
        print(i)
    return None


@app.query(name="say:long", args={"text": v.string()})
def say_long(ctx, args):
    print(args["text"])
    return None


@app.query(name="say:tagged", args={"tag": v.string()})
def say_tagged(ctx, args):
    for i in range(50):
        print(f"{args['tag']} {i}")
    return None


@app.action(name="say:taggedAsync", args={"tag": v.string()})
async def say_tagged_async(ctx, args):
    for i in range(20):
        print(f"{args['tag']} {i}")
        await asyncio.sleep(0)
    return None


@app.action(name="say:outer")
async def say_outer(ctx, args):
    print("outer before")
    await ctx.run_query("say:query")
    await ctx.run_action("say:syncAction")
    print("outer after")
    return None


@app.query(name="say:fails")
def say_fails(ctx, args):
    print("about to fail")
    raise RuntimeError("nope")


@pytest.fixture(scope="module")
def backend():
    with SyncBackend(app) as b:
        yield b


@pytest.fixture
def verbose_logger():
    logger = logging.getLogger("tests.logs.verbose")
    logger.setLevel(logging.DEBUG)
    yield logger
    logger.setLevel(logging.NOTSET)


def query_lines(backend: SyncBackend, path: str, args: dict | None = None) -> list[str]:
    return backend.engine.runner.run_query(path, args).log_lines


def action_lines(backend: SyncBackend, path: str, args: dict | None = None) -> list[str]:
    engine = backend.engine
    run = engine.runner.run_action(path, args, calls=engine.dispatch)
    return asyncio.run(run).log_lines


def test_queries_and_mutations(backend: SyncBackend) -> None:
    assert query_lines(backend, "say:query") == ["[LOG] 'from a query'", "[WARN] 'careful'"]
    execution = backend.engine.runner.run_mutation("say:mutation")
    assert execution.log_lines == ["[LOG] 'from a mutation'", "[ERROR] 'it broke'"]


def test_sync_and_async_actions(backend: SyncBackend) -> None:
    assert action_lines(backend, "say:syncAction") == [
        "[LOG] 'from a sync action'",
        "[WARN] 'careful'",
    ]
    assert action_lines(backend, "say:asyncAction") == [
        "[LOG] 'from an async action'",
        "[WARN] 'careful'",
    ]


def test_print_shapes(backend: SyncBackend) -> None:
    assert query_lines(backend, "say:shapes") == [
        "[LOG] 'two'",
        "[LOG] 'lines'",
        "[LOG] 'it\\'s 42'",
        "[LOG] 'no newline'",
    ]


def test_logging_levels_follow_the_logger_configuration(
    backend: SyncBackend, request: pytest.FixtureRequest
) -> None:
    assert query_lines(backend, "say:levels") == ["[WARN] 'w'", "[ERROR] 'c'"]
    request.getfixturevalue("verbose_logger")
    assert query_lines(backend, "say:levels") == [
        "[DEBUG] 'd'",
        "[INFO] 'i'",
        "[WARN] 'w'",
        "[ERROR] 'c'",
    ]


def test_at_most_256_lines(backend: SyncBackend) -> None:
    lines = query_lines(backend, "say:many", {"n": 300})
    assert len(lines) == 256
    assert lines[0] == "[LOG] '0'"
    assert lines[254] == "[LOG] '254'"
    assert lines[255] == "[ERROR] Log overflow (maximum 256). Remaining log lines omitted."
    assert len(query_lines(backend, "say:many", {"n": 256})) == 256
    assert query_lines(backend, "say:many", {"n": 255})[-1] == "[LOG] '254'"


def test_long_lines_are_cut_at_32768_bytes(backend: SyncBackend) -> None:
    fits = query_lines(backend, "say:long", {"text": "x" * 32766})
    assert fits == ["[LOG] '" + "x" * 32766 + "'"]
    [cut] = query_lines(backend, "say:long", {"text": "x" * 40000})
    assert cut == "[LOG] '" + "x" * 32767 + " (truncated due to length)"
    [cut_wide] = query_lines(backend, "say:long", {"text": "é" * 20000})
    assert cut_wide == "[LOG] '" + "é" * 16383 + " (truncated due to length)"


def test_concurrent_functions_on_threads_keep_their_lines_apart(backend: SyncBackend) -> None:
    tags = [f"t{i}" for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda tag: query_lines(backend, "say:tagged", {"tag": tag}), tags))
    for tag, lines in zip(tags, results, strict=True):
        assert lines == [f"[LOG] '{tag} {i}'" for i in range(50)]


async def test_concurrent_async_actions_keep_their_lines_apart() -> None:
    async with Backend(app) as backend:
        runner, dispatch = backend.engine.runner, backend.engine.dispatch
        executions = await asyncio.gather(
            *(
                runner.run_action("say:taggedAsync", {"tag": tag}, calls=dispatch)
                for tag in ("a", "b", "c")
            )
        )
    for tag, execution in zip(("a", "b", "c"), executions, strict=True):
        assert execution.log_lines == [f"[LOG] '{tag} {i}'" for i in range(20)]


def test_output_outside_functions_is_unaffected(
    backend: SyncBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    started, release = threading.Event(), threading.Event()

    @app.query(name="say:blocking")
    def blocking(ctx, args):
        print("inside")
        started.set()
        release.wait(5)
        return None

    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            running = pool.submit(query_lines, backend, "say:blocking")
            started.wait(5)
            print("outside, while a function runs")
            release.set()
            assert running.result() == ["[LOG] 'inside'"]
        print("outside, afterwards")
    finally:
        del app.functions["say:blocking"]
    assert capsys.readouterr().out == "outside, while a function runs\noutside, afterwards\n"


def test_capture_survives_a_replaced_stdout(
    backend: SyncBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    replacement = io.StringIO()
    with contextlib.redirect_stdout(replacement):
        assert query_lines(backend, "say:query")[0] == "[LOG] 'from a query'"
        print("outside")
    assert replacement.getvalue() == "outside\n"
    assert query_lines(backend, "say:query")[0] == "[LOG] 'from a query'"
    assert capsys.readouterr().out == ""


def test_capture_survives_a_reconfigured_root_logger(
    backend: SyncBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [h for h in root.handlers if h is not logs._handler])
    assert query_lines(backend, "say:query") == ["[LOG] 'from a query'", "[WARN] 'careful'"]


def test_unconfigured_logging_still_reaches_stderr_outside_functions() -> None:
    script = textwrap.dedent(
        """
        import logging
        from convexlite import App, SyncBackend

        app = App()

        @app.query(name="m:q")
        def q(ctx, args):
            logging.getLogger("mine").warning("inside")
            return None

        with SyncBackend(app) as backend:
            backend.query("m:q")
        logging.getLogger("mine").warning("after")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1] == "after"
    assert "inside" in done.stderr
    assert "[m:q] [WARN] 'inside'" in done.stderr


def test_nested_calls_from_actions_keep_their_own_lines(backend: SyncBackend) -> None:
    """An action's run_* calls are executions of their own (functions.md §3.3.7)."""
    assert action_lines(backend, "say:outer") == ["[LOG] 'outer before'", "[LOG] 'outer after'"]


# ---- forwarding to the `convexlite.functions` logger -----------------------------------------


def records(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "convexlite.functions"]


def test_lines_are_forwarded_to_the_python_logger(
    backend: SyncBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="convexlite.functions")
    backend.query("say:query")
    backend.mutation("say:mutation")
    assert records(caplog) == [
        (logging.INFO, "[say:query] [LOG] 'from a query'"),
        (logging.WARNING, "[say:query] [WARN] 'careful'"),
        (logging.INFO, "[say:mutation] [LOG] 'from a mutation'"),
        (logging.ERROR, "[say:mutation] [ERROR] 'it broke'"),
    ]


def test_forwarded_levels(
    backend: SyncBackend, caplog: pytest.LogCaptureFixture, verbose_logger: logging.Logger
) -> None:
    caplog.set_level(logging.DEBUG, logger="convexlite.functions")
    backend.query("say:levels")
    assert records(caplog) == [
        (logging.DEBUG, "[say:levels] [DEBUG] 'd'"),
        (logging.INFO, "[say:levels] [INFO] 'i'"),
        (logging.WARNING, "[say:levels] [WARN] 'w'"),
        (logging.ERROR, "[say:levels] [ERROR] 'c'"),
    ]
    caplog.clear()
    backend.query("say:many", {"n": 300})
    assert records(caplog)[-1] == (
        logging.ERROR,
        "[say:many] [ERROR] Log overflow (maximum 256). Remaining log lines omitted.",
    )


def test_failed_executions_are_forwarded_and_keep_their_lines(
    backend: SyncBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="convexlite.functions")
    with pytest.raises(Exception) as err:
        backend.query("say:fails")
    assert err.value.log_lines == ["[LOG] 'about to fail'"]
    assert records(caplog) == [(logging.INFO, "[say:fails] [LOG] 'about to fail'")]


def test_disabled_levels_cost_no_records(
    backend: SyncBackend, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.ERROR, logger="convexlite.functions")
    emitted: list[tuple[int, str]] = []
    real_log = logs.FUNCTION_LOGGER.log

    def log(level: int, msg: str, *args: object) -> None:
        emitted.append((level, msg % args))
        real_log(level, msg, *args)

    monkeypatch.setattr(logs.FUNCTION_LOGGER, "log", log)
    backend.query("say:query")
    backend.mutation("say:mutation")
    assert emitted == [(logging.ERROR, "[say:mutation] [ERROR] 'it broke'")]
    assert records(caplog) == emitted


def test_forwarded_records_are_never_captured_again(
    backend: SyncBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="convexlite.functions")
    echo = logging.StreamHandler(sys.stdout)
    logs.FUNCTION_LOGGER.addHandler(echo)
    try:
        assert action_lines(backend, "say:outer") == [
            "[LOG] 'outer before'",
            "[LOG] 'outer after'",
        ]
    finally:
        logs.FUNCTION_LOGGER.removeHandler(echo)
    assert [message for _, message in records(caplog)] == [
        "[say:query] [LOG] 'from a query'",
        "[say:query] [WARN] 'careful'",
        "[say:syncAction] [LOG] 'from a sync action'",
        "[say:syncAction] [WARN] 'careful'",
        "[say:outer] [LOG] 'outer before'",
        "[say:outer] [LOG] 'outer after'",
    ]
