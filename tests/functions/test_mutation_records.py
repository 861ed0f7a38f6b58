"""A sync client's mutation runs once (spec/protocol.md §2.7): its outcome is recorded with its
commit, and a re-send is answered from the record, with the first run's timestamp."""

from __future__ import annotations

import pytest

from convexlite import App, Backend, ConvexBackendError, v
from convexlite.functions import session_requests
from convexlite.functions.definitions import FunctionKind
from convexlite.server.types import SessionRequestId

app = App()


@app.mutation(name="notes:add", args={"body": v.string()})
def add(ctx, args):
    print("adding", args["body"])
    ctx.db.insert("notes", args)
    return args["body"] * (1 if args["body"] != "big" else 300_000)


@app.query(name="notes:count")
def count(ctx, args):
    return len(ctx.db.query("notes").collect())


async def send(backend: Backend, request: SessionRequestId, body: str):
    return await backend.execute(
        FunctionKind.MUTATION, "notes:add", {"body": body}, session_request=request
    )


async def test_a_resent_mutation_is_answered_from_its_record() -> None:
    async with Backend(app) as backend:
        first = await send(backend, SessionRequestId("s1", 0, False), "one")
        again = await send(backend, SessionRequestId("s1", 0, True), "one")
        assert (again.value, again.ts, again.log_lines) == (first.value, first.ts, first.log_lines)
        assert first.log_lines == ["[LOG] 'adding one'"]
        other = await send(backend, SessionRequestId("s2", 0, True), "two")
        assert other.ts > first.ts
        assert await backend.query("notes:count") == 2


async def test_a_too_large_result_is_not_kept_but_the_mutation_still_runs_once() -> None:
    async with Backend(app) as backend:
        first = await send(backend, SessionRequestId("s", 7, False), "big")
        assert len(first.value) == 900_000
        with pytest.raises(ConvexBackendError) as refused:
            await send(backend, SessionRequestId("s", 7, True), "big")
        assert refused.value.code == "MutationResultNotKept"
        assert await backend.query("notes:count") == 1


async def test_records_are_forgotten_after_two_weeks() -> None:
    async with Backend(app) as backend:
        await send(backend, SessionRequestId("s", 1, False), "one")
        engine = backend.engine
        now_ms = engine.db.store.clock() / 1e6

        async def forget(at_ms: float) -> int:
            return await engine.dispatch.transaction(
                lambda tx: session_requests.forget_old(tx, at_ms, 100)
            )

        assert await forget(now_ms) == 0
        assert await forget(now_ms + session_requests.KEPT_MS + 1000) == 1
        rerun = await send(backend, SessionRequestId("s", 1, True), "one")
        assert rerun.value == "one" and await backend.query("notes:count") == 2
