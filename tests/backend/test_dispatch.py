"""Where the async `Backend` runs queries and mutations (`functions/dispatch.py`).

On a local store, Python functions run on the caller's event loop and a
mutation's result is released only once a group flush has made its commit
durable; conflicts, failed flushes and deployments keep their guarantees.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from convexlite import App, Backend, v
from convexlite.database.committer import StorageFailed

app = App()


@app.mutation(name="notes:add", args={"body": v.string()})
def add(ctx, args):
    return ctx.db.insert("notes", {"body": args["body"]})


@app.query(name="notes:bodies")
def bodies(ctx, args):
    return [row["body"] for row in ctx.db.query("notes").collect()]


@app.query(name="notes:thread")
def thread_name(ctx, args):
    return threading.current_thread().name


CONFLICTS: list[str] = []


@app.mutation(name="notes:contended", args={"body": v.string()})
def contended(ctx, args):
    """Reads every note, and on its first run has another thread commit a note meanwhile:
    its own commit then conflicts and must be retried."""
    print("attempt")
    seen = len(ctx.db.query("notes").collect())
    if not CONFLICTS:
        CONFLICTS.append(args["body"])
        engine = ctx_engine[0]
        writer = threading.Thread(
            target=lambda: engine.runner.run_mutation("notes:add", {"body": "meanwhile"})
        )
        writer.start()
        writer.join()
    ctx.db.insert("notes", {"body": args["body"]})
    return seen


ctx_engine: list = []


@pytest.fixture
async def backend(tmp_path: Path):
    async with Backend(app, f"sqlite:///{tmp_path / 'store.db'}") as opened:
        ctx_engine[:] = [opened.engine]
        yield opened
    CONFLICTS.clear()


def counting_flushes(backend: Backend) -> list[int]:
    """Record the published timestamp before each flush of the store."""
    persistence = backend.engine.persistence
    real = persistence.flush
    flushes: list[int] = []

    def flush() -> None:
        flushes.append(backend.latest_ts)
        real()

    persistence.flush = flush  # type: ignore[method-assign]
    return flushes


async def test_python_queries_run_on_the_callers_loop(backend: Backend) -> None:
    assert await backend.query("notes:thread") == threading.current_thread().name


async def test_a_mutation_is_released_durable_and_visible(backend: Backend) -> None:
    flushes = counting_flushes(backend)
    execution = await backend.engine.dispatch.mutation(
        "notes:add", {"body": "a"}, identity=None, internal_ok=False
    )
    assert len(flushes) == 1
    assert execution.ts is not None and backend.latest_ts >= execution.ts
    assert await backend.query("notes:bodies") == ["a"]


async def test_mutations_of_one_loop_turn_share_one_flush(backend: Backend) -> None:
    flushes = counting_flushes(backend)
    await asyncio.gather(*(backend.mutation("notes:add", {"body": str(i)}) for i in range(20)))
    assert len(flushes) == 1
    assert sorted(await backend.query("notes:bodies"), key=int) == [str(i) for i in range(20)]


async def test_a_failed_flush_fails_the_mutation_and_loses_nothing_acknowledged(
    backend: Backend, tmp_path: Path
) -> None:
    await backend.mutation("notes:add", {"body": "kept"})
    persistence = backend.engine.persistence

    def failing_flush() -> None:
        raise OSError(5, "injected: fsync failed")

    persistence.flush = failing_flush  # type: ignore[method-assign]
    with pytest.raises(StorageFailed):
        await backend.mutation("notes:add", {"body": "unacknowledged"})
    assert await backend.query("notes:bodies") == ["kept"]
    await backend.close()
    async with Backend(app, f"sqlite:///{tmp_path / 'store.db'}") as reopened:
        assert (await reopened.query("notes:bodies"))[0] == "kept"


async def test_a_conflicting_mutation_is_retried_and_logs_its_last_attempt_only(
    backend: Backend,
) -> None:
    execution = await backend.engine.dispatch.mutation(
        "notes:contended", {"body": "mine"}, identity=None, internal_ok=False
    )
    assert execution.value == 1  # the retry saw the note committed meanwhile
    assert execution.log_lines == ["[LOG] 'attempt'"]
    assert sorted(await backend.query("notes:bodies")) == ["meanwhile", "mine"]
    completions = [
        entry
        for entry in backend.engine.function_log.since(0)[0]
        if entry.render(structured=True).get("identifier") == "notes:contended"
    ]
    assert len(completions) == 1


async def test_a_deployment_waits_for_no_mutation(backend: Backend) -> None:
    """Mutations sent while a deployment is applied run after it, on its schema."""
    from convexlite import define_schema, define_table

    strict = App(schema=define_schema({"notes": define_table({"body": v.string()})}))
    strict.mutation(name="notes:add", args={"body": v.string()})(add)
    strict.query(name="notes:bodies")(bodies)
    writes = [backend.mutation("notes:add", {"body": f"w{i}"}) for i in range(10)]
    deployed = backend.apply_deployment(strict.deployment())
    results = await asyncio.gather(deployed, *writes)
    assert len(results) == 11
    assert len(await backend.query("notes:bodies")) == 10


async def test_a_slow_disk_does_not_hold_up_the_loop(backend: Backend) -> None:
    persistence = backend.engine.persistence
    real = persistence.flush

    def slow_flush() -> None:
        threading.Event().wait(0.05)
        real()

    persistence.flush = slow_flush  # type: ignore[method-assign]
    for i in range(3):  # the loop learns how slow syncs are
        await backend.mutation("notes:add", {"body": f"warm {i}"})
    writing = asyncio.ensure_future(backend.mutation("notes:add", {"body": "slow"}))
    for _ in range(3):
        await asyncio.sleep(0)
    assert not writing.done()
    assert len(await backend.query("notes:bodies")) == 3  # served while the disk syncs
    assert not writing.done()
    await writing
    assert len(await backend.query("notes:bodies")) == 4
