"""The sync WebSocket (spec/protocol.md §2): `convexlite.sync` driven over Starlette.

Each connection runs a few tasks around one `SyncSession`: the receive loop
(messages are handled in arrival order), one watcher per live query feeding
results in, a serial mutation worker, one task per action, the Transition
sender and the heartbeat. All sends go through one lock, so no two messages
interleave and the Transition chain stays in order.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from convexlite.auth.identity import ANONYMOUS, Caller, IncompleteIdentity, user_identity
from convexlite.auth.keys import AdminKeyError
from convexlite.errors import BadRequestError, ConvexBackendError, ConvexError
from convexlite.server.state import ServerState
from convexlite.server.types import Execution, FunctionKind, QueryResult, QuerySubscription
from convexlite.sync import (
    PING,
    Action,
    Authenticate,
    Connect,
    ModifyQuerySet,
    Mutation,
    MutationMemory,
    ProtocolError,
    RecordedMutation,
    Remove,
    SyncSession,
    action_success,
    fatal_error,
    mutation_success,
    query_failed,
    query_updated,
    request_failure,
)
from convexlite.values import decode, encode
from convexlite.values.function_paths import canonical_js, canonicalize

logger = logging.getLogger("convexlite.server.sync")

PING_AFTER_SECONDS = 15.0
MAX_FRAME_BYTES = 64 * 1024 * 1024
MAX_QUEUED_MUTATIONS = 1000
CLOSE_NORMAL = 1000
CLOSE_INTERNAL = 1011
CLOSE_TRY_AGAIN = 1013
CLOSE_TOO_BIG = 1009


class _SystemError(Exception):
    """A failure the client cannot fix: the connection ends with close 1011."""


class _Close(Exception):
    def __init__(self, code: int, reason: str, final: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.final = final


def sync_websocket(state: ServerState) -> Callable[[WebSocket], Awaitable[None]]:
    """The WebSocket endpoint for `/api/sync` and `/api/{version}/sync`.

    Connections share only the memory of recent mutation results, so a client
    re-sending a mutation after a reconnect gets the original answer (§2.7).
    """
    memory = MutationMemory()
    in_flight: dict[tuple[str, int], asyncio.Future[RecordedMutation | dict[str, Any]]] = {}

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await _Connection(state, websocket, memory, in_flight).run()

    return endpoint


def _request_id(session_id: str | None, request_id: int | None) -> str:
    """Deterministic for WebSocket requests (§4.2) so logs can be found; random for queries."""
    if session_id is None or request_id is None:
        return secrets.token_hex(8)
    return hashlib.sha256(f"{session_id}|{request_id}".encode("ascii")).hexdigest()[:16]


def _function_error(exc: BaseException) -> tuple[str, bool, Any]:
    """(message, has errorData, errorData) of a function error; raise `_SystemError` otherwise."""
    if isinstance(exc, ConvexError):
        return f"Uncaught ConvexError: {exc}", True, encode(exc.data)
    if isinstance(exc, ConvexBackendError) and exc.kind.is_deterministic:
        return exc.message, False, None
    raise _SystemError(f"{type(exc).__name__}: {exc}") from exc


class _Connection:
    def __init__(
        self,
        state: ServerState,
        websocket: WebSocket,
        memory: MutationMemory,
        in_flight: dict[tuple[str, int], asyncio.Future[RecordedMutation | dict[str, Any]]],
    ) -> None:
        self.state = state
        self.backend = state.backend
        self.websocket = websocket
        self.memory = memory
        self.in_flight = in_flight
        self.session = SyncSession()
        self.caller: Caller = ANONYMOUS
        self.subscriptions: dict[int, tuple[QuerySubscription | None, asyncio.Task[None]]] = {}
        self.mutations: asyncio.Queue[tuple[Mutation, Caller]] = asyncio.Queue()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.send_lock = asyncio.Lock()
        self.wake = asyncio.Event()
        self.required_ts = 0
        self.transition_owed = False
        self.last_sent = time.monotonic()
        self.failure: asyncio.Future[_Close] = asyncio.get_running_loop().create_future()

    # ---- lifecycle --------------------------------------------------------------------------

    async def run(self) -> None:
        for body in (
            self._receive_loop(),
            self._mutation_worker(),
            self._transitions(),
            self._heartbeat(),
        ):
            self._spawn(body)
        try:
            close = await self.failure
        finally:
            for _, task in self.subscriptions.values():
                task.cancel()
            for sub, _ in self.subscriptions.values():
                if sub is not None:
                    sub.close()
            for task in list(self.tasks):
                task.cancel()
        if close.code == 0:
            return
        try:
            if close.final is not None:
                await self._send(close.final)
            await self.websocket.close(close.code, close.reason)
        except Exception:  # the peer may already be gone
            pass

    def _spawn(self, body: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(body)
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self._fail_with(exc)

    def _fail_with(self, exc: BaseException) -> None:
        if self.failure.done():
            return
        if isinstance(exc, _Close):
            close = exc
        elif isinstance(exc, ProtocolError):
            close = (
                _Close(CLOSE_NORMAL, "", fatal_error(exc.message))
                if exc.fatal
                else _Close(CLOSE_INTERNAL, "InternalServerError")
            )
            logger.info("sync protocol error: %s", exc.message)
        elif isinstance(exc, (WebSocketDisconnect, ConnectionError)):
            close = _Close(0, "")
        else:
            logger.error("sync connection failed", exc_info=exc)
            close = _Close(CLOSE_INTERNAL, "InternalServerError")
        self.failure.set_result(close)

    async def _send(self, message: dict[str, Any]) -> None:
        text = json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        async with self.send_lock:
            await self.websocket.send_text(text)
            self.last_sent = time.monotonic()

    async def _heartbeat(self) -> None:
        while True:
            idle = time.monotonic() - self.last_sent
            if idle >= PING_AFTER_SECONDS:
                await self._send(PING)
                continue
            await asyncio.sleep(PING_AFTER_SECONDS - idle)

    # ---- input ------------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        while True:
            frame = await self.websocket.receive()
            if frame["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(frame.get("code", CLOSE_NORMAL))
            text = frame.get("text")
            if text is None:
                raise _Close(CLOSE_INTERNAL, "InternalServerError")
            if len(text) > MAX_FRAME_BYTES:
                raise _Close(CLOSE_TOO_BIG, "MessageTooLarge")
            message = self.session.receive(text, now_ms=time.time() * 1000)
            if isinstance(message, Connect):
                latest = self.backend.latest_ts
                if message.max_observed_ts is not None and message.max_observed_ts > latest:
                    raise _SystemError(
                        f"Client has observed timestamp {message.max_observed_ts}, ahead of "
                        f"the database ({latest})"
                    )
            elif isinstance(message, ModifyQuerySet):
                self._modify(message)
            elif isinstance(message, Authenticate):
                await self._authenticate(message)
            elif isinstance(message, Mutation):
                if self.mutations.qsize() >= MAX_QUEUED_MUTATIONS:
                    raise _Close(CLOSE_TRY_AGAIN, "TooManyConcurrentMutations")
                self.mutations.put_nowait((message, self.caller))
            elif isinstance(message, Action):
                self._spawn(self._action(message, self.caller))

    def _modify(self, message: ModifyQuerySet) -> None:
        for modification in message.modifications:
            if isinstance(modification, Remove):
                sub, task = self.subscriptions.pop(modification.query_id)
                task.cancel()
                if sub is not None:
                    sub.close()
            else:
                self._watch(modification.query_id)
        self.wake.set()

    def _watch(self, query_id: int) -> None:
        query = self.session.queries[query_id]
        task = asyncio.ensure_future(self._watch_query(query_id, query.udf_path, query.args))
        task.add_done_callback(self._finished)
        self.subscriptions[query_id] = (None, task)

    async def _watch_query(self, query_id: int, path: str, raw_args: list[Any]) -> None:
        try:
            args = self._arguments(path, raw_args)
        except ConvexBackendError as exc:
            message = f"[Request ID: {_request_id(None, None)}] Server Error\n{exc.message}\n"
            self.session.set_result(query_id, query_failed(query_id, message, [], None))
            self.wake.set()
            return
        sub = self.backend.subscribe(path, args, caller=self.caller)
        self.subscriptions[query_id] = (sub, self.subscriptions[query_id][1])
        async for result in sub:
            self.session.set_result(query_id, self._query_modification(query_id, result))
            self.wake.set()

    def _query_modification(self, query_id: int, result: QueryResult) -> dict[str, Any]:
        lines = [] if self.state.redact_logs else list(result.log_lines)
        if result.error is None:
            return query_updated(query_id, encode(result.value), lines, None)
        message, has_data, data = _function_error(result.error)
        return query_failed(
            query_id,
            self._error_message(None, None, message),
            lines,
            None,
            data,
            has_error_data=has_data,
        )

    def _arguments(self, path: str, raw_args: list[Any]) -> dict[str, Any]:
        try:
            args = [decode(arg) for arg in raw_args]
        except ConvexBackendError as exc:
            raise BadRequestError(
                f"Invalid arguments for {canonical_js(canonicalize(path))}: {exc.message}"
            ) from exc
        if len(args) != 1 or not isinstance(args[0], dict):
            shown = json.dumps(raw_args)
            raise BadRequestError(
                "Expected to receive a single object as the function's argument. "
                f"Instead received {len(args)} arguments: {shown}"
            )
        return args[0]

    async def _authenticate(self, message: Authenticate) -> None:
        if message.token_type == "User":
            raise _Close(
                CLOSE_NORMAL,
                "",
                self.session.auth_error(
                    "User authentication with JWTs is not supported by this convexlite "
                    "server yet; authenticate with an admin key or not at all."
                ),
            )
        caller = ANONYMOUS
        if message.token_type == "Admin":
            key = (message.value or "").removeprefix("Convex ").strip()
            try:
                admin = self.backend.verify_admin_key(key)
            except AdminKeyError:
                raise _Close(
                    CLOSE_NORMAL,
                    "",
                    self.session.auth_error("The provided admin key was invalid for this instance"),
                ) from None
            caller = Caller(admin, self._impersonated(message.impersonating))
        self.caller = caller
        self.session.authenticated()
        for query_id, (sub, task) in list(self.subscriptions.items()):
            task.cancel()
            if sub is not None:
                sub.close()
            query = self.session.queries[query_id]
            query.latest = None
            self._watch(query_id)
        self.wake.set()

    @staticmethod
    def _impersonated(attributes: dict[str, Any] | None) -> dict[str, Any] | None:
        if attributes is None:
            return None
        try:
            return user_identity(attributes)
        except IncompleteIdentity as exc:
            raise ProtocolError(str(exc)) from None

    # ---- requests ---------------------------------------------------------------------------

    def _error_message(self, session_id: str | None, request_id: int | None, message: str) -> str:
        head = f"[Request ID: {_request_id(session_id, request_id)}] Server Error"
        return head if self.state.redact_logs else f"{head}\n{message}\n"

    def _failure(self, kind: str, request: Mutation | Action, exc: BaseException) -> dict[str, Any]:
        message, has_data, data = _function_error(exc)
        lines = [] if self.state.redact_logs else list(getattr(exc, "log_lines", []))
        return request_failure(
            kind,
            request.request_id,
            self._error_message(self.session.session_id, request.request_id, message),
            lines,
            data,
            has_error_data=has_data,
        )

    async def _mutation_worker(self) -> None:
        while True:
            request, caller = await self.mutations.get()
            key = (self.session.session_id or "", request.request_id)
            outcome: RecordedMutation | dict[str, Any] | None = self.memory.get(*key)
            if outcome is None:
                pending = self.in_flight.get(key)
                if pending is None:
                    pending = self._start_mutation(key, request, caller)
                outcome = await asyncio.shield(pending)
            if isinstance(outcome, dict):
                await self._send(outcome)
                self.transition_owed = True
                self.wake.set()
                continue
            await self._send(
                mutation_success(request.request_id, outcome.result, outcome.ts, outcome.log_lines)
            )
            self.required_ts = max(self.required_ts, outcome.ts)
            self.transition_owed = True
            self.wake.set()

    def _start_mutation(
        self, key: tuple[str, int], request: Mutation, caller: Caller
    ) -> asyncio.Future[RecordedMutation | dict[str, Any]]:
        """Run a mutation in a task of its own, so it is recorded even if this socket dies.

        A client that reconnects while it runs re-sends it; the new connection
        then waits for this task instead of running it a second time.
        """
        task = asyncio.ensure_future(self._execute_mutation(key, request, caller))
        self.in_flight[key] = task

        def forget(done: asyncio.Future[Any]) -> None:
            if self.in_flight.get(key) is done:
                del self.in_flight[key]
            if not done.cancelled():
                done.exception()

        task.add_done_callback(forget)
        return task

    async def _execute_mutation(
        self, key: tuple[str, int], request: Mutation, caller: Caller
    ) -> RecordedMutation | dict[str, Any]:
        """The recorded success, or the failed `MutationResponse` to send (not recorded)."""
        try:
            execution = await self._run_mutation(request, caller)
        except Exception as exc:
            return self._failure("MutationResponse", request, exc)
        lines = [] if self.state.redact_logs else list(execution.log_lines)
        assert execution.ts is not None
        recorded = RecordedMutation(encode(execution.value), lines, execution.ts)
        self.memory.record(*key, recorded)
        return recorded

    async def _run_mutation(self, request: Mutation, caller: Caller) -> Execution:
        """Like `Backend.mutation`, but keeping the commit timestamp the protocol reports."""
        if request.component_path:
            raise BadRequestError("Components are not supported by convexlite")
        args = self._arguments(request.udf_path, request.args)
        return await self.backend.execute(
            FunctionKind.MUTATION, request.udf_path, args, caller
        )

    async def _action(self, request: Action, caller: Caller) -> None:
        try:
            if request.component_path:
                raise BadRequestError("Components are not supported by convexlite")
            args = self._arguments(request.udf_path, request.args)
            execution = await self.backend.execute(
                FunctionKind.ACTION, request.udf_path, args, caller
            )
        except Exception as exc:
            await self._send(self._failure("ActionResponse", request, exc))
        else:
            lines = [] if self.state.redact_logs else list(execution.log_lines)
            await self._send(action_success(request.request_id, encode(execution.value), lines))
        self.transition_owed = True
        self.wake.set()

    # ---- output -----------------------------------------------------------------------------

    def _settled(self, ts: int) -> bool:
        """True when every live query's result is current as of `ts`.

        A Transition at `ts` tells the client its results hold at `ts`; after a
        MutationResponse that is what makes `await mutation()` read its writes.
        """
        return all(
            sub is not None and sub.current_at(ts) for sub, _ in self.subscriptions.values()
        )

    async def _transitions(self) -> None:
        session = self.session
        while True:
            await self.wake.wait()
            self.wake.clear()
            await asyncio.sleep(0)
            if session.waiting_for_results:
                continue
            owed = self.transition_owed or self.required_ts > session.current.ts
            if not owed and not session.has_changes:
                continue
            results = [
                sub.current.ts
                for sub, _ in self.subscriptions.values()
                if sub is not None and sub.current is not None
            ]
            latest = max(results) if results else self.backend.latest_ts
            ts = max(self.required_ts, latest)
            if not self._settled(ts):
                await asyncio.sleep(0.001)
                self.wake.set()
                continue
            self.transition_owed = False
            await self._send(session.transition(ts, server_ts_ns=time.time_ns()))
