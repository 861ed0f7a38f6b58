"""The sync WebSocket (spec/protocol.md §2): a pump between a socket and a `SyncSession`.

Frames go into the session; the session answers with actions, which this
module carries out through `BackendApi` and feeds back. No protocol rule
lives here (they are all in `convexlite.sync`); what is here is the socket,
the tasks, and turning backend results into protocol messages.

Each connection runs a receive loop, a writer (the only task that sends, so
messages leave in the session's order), one follower per watched query and
one task per action. One timer per event loop, not a task per connection,
sends the JSON `Ping` to every connection that has been silent for 15 s.
A mutation runs in a task detached from the connection, so it finishes and
is remembered even if the socket dies: the client's re-send on its next
connection gets the same answer (§2.7).

Nothing polls: a Transition that may not be sent yet (a result not current
through its timestamp) is asked for again when something changes, i.e. a
result arrives, a query finishes a run (`QuerySubscription.on_settled`) or
the session gets an input.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from starlette.websockets import WebSocket, WebSocketDisconnect

from convexlite.auth.identity import ANONYMOUS, Caller, IncompleteIdentity, user_identity
from convexlite.auth.keys import AdminKeyError
from convexlite.errors import ConvexBackendError
from convexlite.server.errors import (
    error_message,
    function_failure,
    new_request_id,
    sync_request_id,
)
from convexlite.server.state import ServerState
from convexlite.server.types import Execution, QueryResult, QuerySubscription, SessionRequestId
from convexlite.sync import (
    ActionResponse,
    AwaitMutation,
    Close,
    MutationMemory,
    MutationResponse,
    Ping,
    QueryFailed,
    QueryUpdated,
    RunAction,
    RunMutation,
    Send,
    ServerMessage,
    SessionAction,
    SyncSession,
    Transition,
    Unwatch,
    VerifyAdminKey,
    VerifyUserToken,
    Watch,
    encode_message,
)
from convexlite.sync.actions import CLOSE_INTERNAL, CLOSE_NORMAL, CLOSE_TOO_BIG, CLOSE_TRY_AGAIN
from convexlite.values import dumpb, encode
from convexlite.values.formats import InvalidFunctionArguments, decode_function_args
from convexlite.values.function_kinds import FunctionKind
from convexlite.values.function_paths import qualify

logger = logging.getLogger("convexlite.server.sync")

PING_AFTER_SECONDS = 15.0
PING_CHECK_SECONDS = 1.0
"""How often the heartbeat looks for silent connections: a Ping leaves after 15 to 16 s."""
_SYNC_VALUE = "sync.value"
"""The key of a query result's serialised value and log lines in `QueryResult.encoded`."""
MAX_FRAME_BYTES = 64 * 1024 * 1024


class _SystemError(Exception):
    """A failure the client cannot fix: the connection ends with close 1011."""


@dataclass(frozen=True, slots=True)
class _Failure:
    """A function error rendered for the wire: message with its request id, and data."""

    message: str
    log_lines: tuple[str, ...]
    data: Any
    has_data: bool


def sync_websocket(state: ServerState) -> Callable[[WebSocket], Awaitable[None]]:
    """The WebSocket endpoint for `/api/sync` and `/api/{version}/sync`.

    Connections share only the memory of recent mutations, so a client
    re-sending a mutation after a reconnect gets the original answer (§2.7).
    """
    memory = MutationMemory()
    heartbeats: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Heartbeats] = (
        weakref.WeakKeyDictionary()
    )

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        loop = asyncio.get_running_loop()
        beats = heartbeats.get(loop)
        if beats is None:
            beats = heartbeats[loop] = _Heartbeats(loop)
        state.websocket_connections += 1
        try:
            await _Connection(state, websocket, memory, beats).run()
        finally:
            state.websocket_connections -= 1

    return endpoint


class _Heartbeats:
    """The JSON `Ping` (§2.11) for all connections of one event loop, from one timer.

    Every `PING_CHECK_SECONDS` it queues a Ping on each connection that has sent
    nothing for `PING_AFTER_SECONDS`; the timer runs only while connections exist.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.connections: set[_Connection] = set()
        self._timer: asyncio.TimerHandle | None = None

    def add(self, connection: _Connection) -> None:
        self.connections.add(connection)
        if self._timer is None:
            self._timer = self.loop.call_later(PING_CHECK_SECONDS, self._beat)

    def discard(self, connection: _Connection) -> None:
        self.connections.discard(connection)
        if not self.connections and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _beat(self) -> None:
        now = time.monotonic()
        silent_since = now - PING_AFTER_SECONDS
        for connection in self.connections:
            if connection.last_sent <= silent_since:
                connection.last_sent = now  # one Ping per silence, however long the writer takes
                connection.outbox.put_nowait(Ping())
        self._timer = self.loop.call_later(PING_CHECK_SECONDS, self._beat)


class _Outbox:
    """The connection's messages waiting for the writer, in order; `None` asks for a
    Transition. An `asyncio.Queue` without what this one reader does not need (its
    bound, its task accounting): a deque and one waiter, a few KiB less per connection."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: deque[ServerMessage | Close | None] = deque()
        self._waiter: asyncio.Future[None] | None = None

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: ServerMessage | Close | None) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> ServerMessage | Close | None:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.popleft()


class _Connection:
    def __init__(
        self,
        state: ServerState,
        websocket: WebSocket,
        memory: MutationMemory,
        heartbeats: _Heartbeats,
    ) -> None:
        self.state = state
        self.backend = state.backend
        self.websocket = websocket
        self.session = SyncSession(memory, anonymous=ANONYMOUS)
        self.watched: dict[int, tuple[QuerySubscription, asyncio.Task[None]]] = {}
        self.outbox = _Outbox()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.last_sent = time.monotonic()
        self.loop = asyncio.get_running_loop()
        self.flush_scheduled = False
        self._token: tuple[str, int, Caller] | None = None
        """The user token the session acts on, the auth version it was checked at, and the
        caller it made (a later `Authenticate` replaces the caller, and the token with it)."""
        self.sending = asyncio.Lock()
        self.sending_for: int | None = None
        """The query whose follower is sending a Transition (its task is not cancelled)."""
        """Held by whoever builds and sends a message: the writer, or a follower sending
        the Transition its result completes while nothing else waits to be sent."""
        self.ended: asyncio.Future[Close | None] = self.loop.create_future()
        self.heartbeats = heartbeats

    # ---- lifecycle --------------------------------------------------------------------------

    async def run(self) -> None:
        for body in (self._receive(), self._write()):
            self._spawn(body)
        self.heartbeats.add(self)
        try:
            close = await self.ended
        finally:
            self.heartbeats.discard(self)
            self.session.connection_lost()
            for query_id in list(self.watched):
                self._unwatch(query_id)
            for task in list(self.tasks):
                task.cancel()
        if close is not None:
            with contextlib.suppress(Exception):  # the peer may already be gone
                await self.websocket.close(close.code, close.reason)

    def _spawn(self, body: Awaitable[Any]) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(body)
        self.tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if task.cancelled() or (exc := task.exception()) is None:
            return
        if isinstance(exc, (WebSocketDisconnect, ConnectionError)):
            self._end(None)
        else:
            logger.error("sync connection failed", exc_info=exc)
            self._end(Close(CLOSE_INTERNAL, "InternalServerError"))

    def _end(self, close: Close | None) -> None:
        if not self.ended.done():
            self.ended.set_result(close)

    # ---- frames in, messages out ------------------------------------------------------------

    async def _receive(self) -> None:
        while not self.session.closed:
            frame = await self.websocket.receive()
            if frame["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(frame.get("code", CLOSE_NORMAL))
            text = frame.get("text")
            if text is None or len(text) > MAX_FRAME_BYTES:
                self.session.connection_lost()
                if text is None:
                    self._perform([Close(CLOSE_INTERNAL, "InternalServerError", "binary frame")])
                else:
                    self._perform([Close(CLOSE_TOO_BIG, "MessageTooLarge")])
                return
            if self.state.memory is not None and self.state.memory.over():
                self.session.connection_lost()  # near the memory ceiling: shed this client
                self._perform([Close(CLOSE_TRY_AGAIN, "Overloaded")])
                return
            now_ms = time.time() * 1000
            actions = self.session.receive(text, now_ms=now_ms, latest_ts=self.backend.latest_ts)
            verify = [a for a in actions if isinstance(a, VerifyUserToken)]
            if verify:
                # later messages wait: they are made as the identity this one sets
                actions = await self._verify_user(verify[0])
            self._perform(actions)

    async def _write(self) -> None:
        """Send the outbox in order. `None` in it asks the session for a Transition, once
        every message queued so far is sent: a Transition covers the state the session
        holds when it is built, so whatever told the client of that state (a mutation's
        response) must already be out. Building it here, just before sending, spreads the
        work of a commit that reaches many connections over their sends."""
        while True:
            item = await self.outbox.get()
            async with self.sending:
                if item is None:
                    if not self.outbox.empty():
                        self.outbox.put_nowait(None)
                        continue
                    self.flush_scheduled = False
                    if self.session.identity_expired_at(time.time() * 1000):
                        self._perform(self.session.identity_expired())
                        continue
                    if self._token_outdated():
                        self._perform(await self._recheck_user())
                        if self.session.closed:
                            continue
                    item = self._next_transition()
                    if item is None:
                        continue
                if isinstance(item, Close):
                    self._end(item)
                    return
                await self._send(item)

    def _next_transition(self) -> Transition | None:
        return self.session.next_transition(
            self._current_through, latest_ts=self.backend.latest_ts, server_ts_ns=time.time_ns()
        )

    async def _send(self, message: ServerMessage) -> None:
        """Send one message; only under `self.sending`, so messages leave in order."""
        await self.websocket.send_text(encode_message(message).decode())
        self.last_sent = time.monotonic()

    def _perform(self, actions: list[SessionAction]) -> None:
        for action in actions:
            match action:
                case Send(message):
                    self.outbox.put_nowait(message)
                case Watch():
                    self._watch(action)
                case Unwatch(query_id):
                    self._unwatch(query_id)
                case RunMutation():
                    self._run_mutation(action)
                case AwaitMutation():
                    self._spawn(self._await_mutation(action))
                case RunAction():
                    self._spawn(self._run_action(action))
                case VerifyAdminKey():
                    self._perform(self._verify(action))
                case Close(code=code, detail=detail):
                    if detail is not None:
                        logger.info("sync connection closed (%d): %s", code, detail)
                    self.outbox.put_nowait(action)
        self._poke()

    def _poke(self) -> None:
        """Something changed: have the writer ask the session for a Transition once this
        loop turn ends, so results arriving together go out in one."""
        if not self.flush_scheduled:
            self.flush_scheduled = True
            self.outbox.put_nowait(None)

    def _current_through(self, ts: int) -> bool:
        return self.backend.current_through((sub for sub, _ in self.watched.values()), ts)

    # ---- queries ----------------------------------------------------------------------------

    def _watch(self, action: Watch) -> None:
        try:
            args = decode_function_args(action.args, action.udf_path)
        except InvalidFunctionArguments as exc:
            message = error_message(new_request_id(), exc.message, redact=self.state.redact_logs)
            self.session.query_result(action.query_id, QueryFailed(action.query_id, message), None)
            return
        sub = self.backend.subscribe(action.udf_path, args, caller=action.caller)
        sub.on_settled = self._settled
        self.watched[action.query_id] = (sub, self._spawn(self._follow(action.query_id, sub)))

    def _unwatch(self, query_id: int) -> None:
        watched = self.watched.pop(query_id, None)
        if watched is not None:
            sub, task = watched
            sub.close()
            if self.sending_for != query_id:  # a Transition being sent is not cut short
                task.cancel()

    async def _follow(self, query_id: int, sub: QuerySubscription) -> None:
        """Feed the session each new result of one query. When nothing else is queued or
        being sent, the Transition it completes is built and sent right here, rather
        than by waking the writer: a commit that reaches many connections then costs
        each one task step, not two."""
        async for result in sub:
            if self.watched.get(query_id, (None,))[0] is not sub:
                return  # unwatched while this follower was sending
            self.session.query_result(query_id, self._query_result(query_id, result), result.ts)
            if self.outbox.empty() and not self.sending.locked():
                async with self.sending:
                    transition = self._next_transition()
                    if transition is not None:
                        self.sending_for = query_id
                        try:
                            await self._send(transition)
                        finally:
                            self.sending_for = None
            else:
                self._poke()

    def _settled(self) -> None:
        """A query finished a run, its result changed or not: a Transition held back
        until the results are current may be sendable now. A changed result is on its
        way to `_follow`, which sends what it completes."""
        if self.session.transition_due:
            self._poke()

    def _query_result(self, query_id: int, result: QueryResult) -> QueryUpdated | QueryFailed:
        if result.error is None:
            # Every subscriber of a query gets the same result object: its value is
            # serialised once, by the first connection to send it, for all of them.
            cache = getattr(result, "encoded", None)
            shared = None if cache is None else cache.get(_SYNC_VALUE)
            if shared is None:
                shared = (msgspec.Raw(dumpb(result.value)), self._lines(result.log_lines))
                if cache is not None:
                    cache[_SYNC_VALUE] = shared
            return QueryUpdated(query_id, shared[0], shared[1])
        lines = self._lines(result.log_lines)
        f = self._failure(result.error, None)
        return QueryFailed(query_id, f.message, lines, None, f.data, f.has_data)

    # ---- requests ---------------------------------------------------------------------------

    def _run_mutation(self, action: RunMutation) -> None:
        run = asyncio.ensure_future(self._mutation(action))  # detached: it outlives the socket
        self.session.mutation_started(action.request_id, run)
        run.add_done_callback(lambda done: self._mutation_done(action.request_id, done))

    async def _await_mutation(self, action: AwaitMutation) -> None:
        await asyncio.wait([action.handle])
        self._mutation_done(action.request_id, action.handle)

    def _mutation_done(self, request_id: int, run: asyncio.Future[MutationResponse]) -> None:
        response = None
        if not run.cancelled():
            if (exc := run.exception()) is None:
                response = run.result()
            else:
                logger.error("sync mutation failed", exc_info=exc)
        self._perform(self.session.mutation_completed(request_id, response))

    async def _mutation(self, action: RunMutation) -> MutationResponse:
        rid = action.request_id
        try:
            execution = await self._execute(action)
        except Exception as exc:
            f = self._failure(exc, rid)
            return MutationResponse(rid, False, f.message, None, f.log_lines, f.data, f.has_data)
        lines = self._lines(execution.log_lines)
        return MutationResponse(rid, True, encode(execution.value), execution.ts, lines)

    async def _run_action(self, action: RunAction) -> None:
        rid = action.request_id
        try:
            execution = await self._execute(action)
        except Exception as exc:
            f = self._failure(exc, rid)
            response = ActionResponse(rid, False, f.message, f.log_lines, f.data, f.has_data)
        else:
            lines = self._lines(execution.log_lines)
            response = ActionResponse(rid, True, encode(execution.value), lines)
        self._perform(self.session.action_completed(response))

    async def _execute(self, action: RunMutation | RunAction) -> Execution:
        kind = FunctionKind.MUTATION if isinstance(action, RunMutation) else FunctionKind.ACTION
        args = decode_function_args(action.args, action.udf_path)
        path = action.udf_path
        if action.component_path:  # an admin's call into a component instance
            path = qualify(action.component_path, path)
        session_id = self.session.session_id
        rid = sync_request_id(session_id or "", action.request_id)
        once = None
        if session_id and kind is FunctionKind.MUTATION:
            once = SessionRequestId(session_id, action.request_id, self.session.reconnected)
        return await self.backend.execute(
            kind, path, args, action.caller, request_id=rid, session_request=once
        )

    def _verify(self, action: VerifyAdminKey) -> list[SessionAction]:
        try:
            admin = self.backend.verify_admin_key(action.key)
        except AdminKeyError:
            return self.session.admin_key_invalid()
        try:
            identity = None if action.impersonating is None else user_identity(action.impersonating)
        except IncompleteIdentity as exc:
            return self.session.impersonation_invalid(str(exc))
        return self.session.authenticated(Caller(admin, identity))

    async def _verify_user(self, action: VerifyUserToken) -> list[SessionAction]:
        version = self.backend.auth_version
        try:
            caller = await self.backend.authenticate_user(action.token)
        except ConvexBackendError as exc:
            self._token = None
            return self.session.user_token_invalid(exc.message)
        self._token = (action.token, version, caller)
        expires = caller.expires_s
        return self.session.authenticated(caller, None if expires is None else expires * 1000)

    def _token_outdated(self) -> bool:
        """Whether the session acts on a user token checked before the providers changed."""
        if self._token is None:
            return False
        if self.session.caller is not self._token[2]:
            self._token = None  # signed out, or in with an admin key, since
            return False
        return self._token[1] != self.backend.auth_version

    async def _recheck_user(self) -> list[SessionAction]:
        """The providers changed since the session's token was accepted: check it again."""
        assert self._token is not None
        token, caller, version = self._token[0], self._token[2], self.backend.auth_version
        try:
            await self.backend.authenticate_user(token)
        except ConvexBackendError as exc:
            self._token = None
            return self.session.identity_revoked(exc.message)
        self._token = (token, version, caller)
        return []

    def _failure(self, exc: BaseException, request_id: int | None) -> _Failure:
        """A function error as the client sees it; raise `_SystemError` for anything else.

        A request's id is derived from the session (§4.2); a query's is random."""
        failure = function_failure(exc)
        if failure is None:
            raise _SystemError(f"{type(exc).__name__}: {exc}") from exc
        rid = (
            new_request_id()
            if request_id is None
            else sync_request_id(self.session.session_id or "", request_id)
        )
        return _Failure(
            error_message(rid, failure.message, redact=self.state.redact_logs),
            self._lines(failure.log_lines),
            encode(failure.data) if failure.has_data else None,
            failure.has_data,
        )

    def _lines(self, lines: Any) -> tuple[str, ...]:
        return () if self.state.redact_logs else tuple(lines)
