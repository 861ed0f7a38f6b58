"""One sync connection's protocol state (spec/protocol.md §2.2–§2.7), without any I/O.

Theory of operation (the h11 rule: everything that affects the state
machine lives here). The transport feeds the session what happens, and does
what the session answers:

- client frames go to `receive`, which answers with actions (`Send`,
  `Watch`, `Unwatch`, `RunMutation`, `AwaitMutation`, `RunAction`,
  `VerifyAdminKey`, `VerifyUserToken`, `Close`; see `convexlite.sync.actions`);
- the outcomes of those actions come back through `query_result`,
  `mutation_started`/`mutation_completed`, `action_completed` and
  `authenticated`/`admin_key_invalid`/`impersonation_invalid`;
- after any of these, the transport asks `next_transition` whether a
  Transition is due and may be sent, telling it whether the queries'
  results are current through a timestamp (only the backend knows that).

The session owns the versions (those received from the client and the
`StateVersion` last sent), so every Transition starts where the previous one
ended and no timestamp goes backwards. It owns read-your-writes: after a
`MutationResponse` at `ts`, no Transition ends before `ts`, and one that
reaches it is owed until sent. It owns the mutation queue (one at a time, in
order, answered once per client session through the shared
`MutationMemory`) and what an `Authenticate` message means.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from convexlite.sync.actions import (
    CLOSE_INTERNAL,
    CLOSE_NORMAL,
    CLOSE_TRY_AGAIN,
    AwaitMutation,
    Close,
    RunAction,
    RunMutation,
    Send,
    SessionAction,
    Unwatch,
    VerifyAdminKey,
    VerifyUserToken,
    Watch,
)
from convexlite.sync.messages import (
    Action,
    Add,
    Authenticate,
    ClientMessage,
    Connect,
    ModifyQuerySet,
    Mutation,
    ProtocolError,
    Remove,
    parse_message,
)
from convexlite.sync.mutation_memory import InFlight, MutationMemory
from convexlite.sync.server_messages import (
    ActionResponse,
    AuthError,
    FatalError,
    MutationResponse,
    QueryModification,
    QueryRemoved,
    QueryResult,
    QueryUpdated,
    StateVersion,
    Transition,
)
from convexlite.values.function_paths import qualify

MAX_QUEUED_MUTATIONS = 1000
MAX_INFLIGHT_ACTIONS = 1000
"""Upstream's `OPERATION_QUEUE_BUFFER_SIZE` bounds both, per connection."""
IDENTITY_EXPIRED = "Convex token identity expired"
INVALID_ADMIN_KEY = "The provided admin key was invalid for this instance"


@dataclass(slots=True)
class SyncedQuery:
    """A query in the client's set: what to run, and what the client last saw of it."""

    query_id: int
    udf_path: str
    args: list[Any]
    journal: str | None
    component_path: str | None
    latest: QueryResult | None = None
    latest_ts: int | None = None
    latest_fingerprint: tuple[Any, ...] | None = None
    sent_fingerprint: tuple[Any, ...] | None = None

    @property
    def target(self) -> str:
        """The function to run: `udf_path`, in the component at `component_path` if given
        (admins only: the function's visibility rules refuse anyone else)."""
        return qualify(self.component_path, self.udf_path) if self.component_path else self.udf_path


def _fingerprint(result: QueryResult) -> tuple[Any, ...]:
    """What the client sees of a result, journal aside; two are equal if they look the same.

    A pre-serialised value (`msgspec.Raw`) compares by its text, which is canonical."""
    if isinstance(result, QueryUpdated):
        return (True, _canonical(result.value), result.log_lines)
    data = _canonical(result.error_data) if result.has_error_data else None
    return (False, result.error_message, result.log_lines, result.has_error_data, data)


_CANONICAL = msgspec.json.Encoder(order="sorted")


def _canonical(value: Any) -> msgspec.Raw:
    if isinstance(value, msgspec.Raw):
        return value
    return msgspec.Raw(_CANONICAL.encode(value))


class SyncSession:
    """The protocol state of one WebSocket connection.

    `memory` is shared by every connection of the server (a client session
    reconnects on a new socket). `anonymous` is the caller of requests made
    before any `Authenticate`, and after one with no token.
    """

    def __init__(self, memory: MutationMemory | None = None, *, anonymous: Any = None) -> None:
        self.memory = memory if memory is not None else MutationMemory()
        self.anonymous = anonymous
        self.caller: Any = anonymous
        self.session_id: str | None = None
        self.reconnected = False
        """Whether the client connected before (`connectionCount > 0`): only then may it
        re-send a mutation that already ran, on this server or before its restart."""
        self.client_clock_skew: int | None = None
        self.received_query_set = 0
        self.received_identity = 0
        self.current = StateVersion(0, 0, 0)
        self.queries: dict[int, SyncedQuery] = {}
        self.required_ts = 0
        self.transition_owed = False
        self.closed = False
        self._connected = False
        self._removed: set[int] = set()
        self._added: set[int] = set()
        self._expires_ms: float | None = None
        self._queued: deque[tuple[Mutation, Any]] = deque()
        self._actions_running = 0
        self._running: int | None = None
        self._running_handle: Any = None
        self._owns_run = False

    # ---- client messages --------------------------------------------------------------------

    def receive(self, text: str | bytes, *, now_ms: float, latest_ts: int) -> list[SessionAction]:
        """Parse and apply one client frame; `latest_ts` is the latest published commit.

        A frame that breaks the protocol ends the connection: a FatalError
        and a normal close if retrying would fail the same way, otherwise
        close 1011. Nothing of a refused message is applied.
        """
        if self.closed:
            return []
        try:
            return self._handle(parse_message(text), now_ms, latest_ts)
        except ProtocolError as exc:
            return self._protocol_error(exc)

    def _handle(self, message: ClientMessage, now_ms: float, latest_ts: int) -> list[SessionAction]:
        if isinstance(message, Connect):
            return self._connect(message, now_ms, latest_ts)
        if not self._connected:
            raise ProtocolError("The first message on a connection must be Connect")
        if isinstance(message, ModifyQuerySet):
            return self._modify(message)
        if isinstance(message, Authenticate):
            return self._authenticate(message)
        if isinstance(message, Mutation | Action) and self.identity_expired_at(now_ms):
            return self.identity_expired()
        if isinstance(message, Mutation):
            if len(self._queued) >= MAX_QUEUED_MUTATIONS:
                return self._close(Close(CLOSE_TRY_AGAIN, "TooManyConcurrentMutations"))
            self._queued.append((message, self.caller))
            return self._next_mutation()
        if isinstance(message, Action):
            if self._actions_running >= MAX_INFLIGHT_ACTIONS:
                return self._close(Close(CLOSE_TRY_AGAIN, "TooManyInflightActionsForSingleClient"))
            self._actions_running += 1
            return [
                RunAction(
                    message.request_id,
                    message.udf_path,
                    message.args,
                    message.component_path,
                    self.caller,
                )
            ]
        return []  # Event: nothing to do

    def _connect(self, message: Connect, now_ms: float, latest_ts: int) -> list[SessionAction]:
        if self._connected:
            raise ProtocolError("Received a second Connect message on one connection")
        self._connected = True
        self.session_id = message.session_id
        self.reconnected = message.connection_count > 0
        if message.client_ts is not None:
            self.client_clock_skew = int(message.client_ts - now_ms)
        observed = message.max_observed_ts
        if observed is not None and observed > latest_ts:
            detail = (
                f"Client has observed timestamp {observed}, ahead of the database ({latest_ts})"
            )
            return self._close(Close(CLOSE_INTERNAL, "InternalServerError", detail))
        return []

    def _modify(self, message: ModifyQuerySet) -> list[SessionAction]:
        if message.base_version != self.received_query_set:
            raise ProtocolError(
                f"Base version {message.base_version} passed up doesn't match the current "
                f"version {self.received_query_set}"
            )
        if message.new_version <= message.base_version:
            raise ProtocolError(
                f"New version {message.new_version} is not greater than base version "
                f"{message.base_version}",
                fatal=False,
            )
        live = set(self.queries)
        for modification in message.modifications:
            if isinstance(modification, Add):
                if modification.query_id in live:
                    raise ProtocolError(f"Duplicate query id {modification.query_id}", fatal=False)
                live.add(modification.query_id)
            else:
                if modification.query_id not in live:
                    raise ProtocolError(
                        f"Removing unknown query id {modification.query_id}", fatal=False
                    )
                live.discard(modification.query_id)
        self.received_query_set = message.new_version
        return [self._apply(modification) for modification in message.modifications]

    def _apply(self, modification: Add | Remove) -> SessionAction:
        query_id = modification.query_id
        if isinstance(modification, Remove):
            del self.queries[query_id]
            self._added.discard(query_id)
            self._removed.add(query_id)
            return Unwatch(query_id)
        query = SyncedQuery(
            query_id,
            modification.udf_path,
            modification.args,
            modification.journal,
            modification.component_path,
        )
        self.queries[query_id] = query
        self._removed.discard(query_id)
        self._added.add(query_id)
        return Watch(query_id, query.target, query.args, self.caller)

    # ---- authentication ---------------------------------------------------------------------

    def _authenticate(self, message: Authenticate) -> list[SessionAction]:
        if message.base_version != self.received_identity:
            raise ProtocolError(
                f"Base identity version {message.base_version} passed up doesn't match the "
                f"current identity version {self.received_identity}",
                fatal=False,
            )
        if message.token_type == "User":
            return [VerifyUserToken(message.value or "")]
        if message.token_type == "None":
            return self._identity_changed(self.anonymous)
        key = (message.value or "").removeprefix("Convex ").strip()
        return [VerifyAdminKey(key, message.impersonating)]

    def authenticated(self, caller: Any, expires_ms: float | None = None) -> list[SessionAction]:
        """The key or token of the last `VerifyAdminKey`/`VerifyUserToken` is valid: `caller`
        makes later requests, until `expires_ms` (a user token's `exp`) if given."""
        actions = self._identity_changed(caller)
        self._expires_ms = expires_ms
        return actions

    def identity_expired_at(self, now_ms: float) -> bool:
        """Whether the user token the session acts on has expired by `now_ms`: upstream checks
        before every mutation, action and Transition."""
        return self._expires_ms is not None and now_ms >= self._expires_ms

    def admin_key_invalid(self) -> list[SessionAction]:
        return self._refuse(INVALID_ADMIN_KEY)

    def user_token_invalid(self, error: str) -> list[SessionAction]:
        """The token of the last `VerifyUserToken` was refused: the client gets the reason,
        fetches a fresh token and reconnects."""
        return self._refuse(error)

    def identity_revoked(self, error: str) -> list[SessionAction]:
        """The token accepted earlier is refused by the providers now in force (a push
        changed them): the client gets the reason and signs in again."""
        error_message = AuthError(error, self.current.identity, auth_update_attempted=False)
        return self._close(Close(CLOSE_NORMAL), error_message)

    def identity_expired(self) -> list[SessionAction]:
        """The user token accepted earlier expired: as upstream, the connection ends with an
        `AuthError` the client did not cause by updating its auth."""
        error = AuthError(IDENTITY_EXPIRED, self.current.identity, auth_update_attempted=False)
        return self._close(Close(CLOSE_NORMAL), error)

    def impersonation_invalid(self, message: str) -> list[SessionAction]:
        """The identity to act as is incomplete: a deterministic client error."""
        return self._protocol_error(ProtocolError(message))

    def _identity_changed(self, caller: Any) -> list[SessionAction]:
        """Every query runs again as the new caller; the next Transition answers them all."""
        self.caller = caller
        self._expires_ms = None
        self.received_identity += 1
        actions: list[SessionAction] = []
        for query in self.queries.values():
            query.latest = query.latest_ts = query.latest_fingerprint = None
            self._added.add(query.query_id)
            actions += [
                Unwatch(query.query_id),
                Watch(query.query_id, query.target, query.args, caller),
            ]
        return actions

    def _refuse(self, error: str) -> list[SessionAction]:
        return self._close(Close(CLOSE_NORMAL), AuthError(error, self.current.identity))

    # ---- outcomes of actions ----------------------------------------------------------------

    def query_result(self, query_id: int, result: QueryResult, ts: int | None) -> None:
        """The latest result of a watched query, as of `ts` (None if it never ran).

        Ignored once the query is removed."""
        query = self.queries.get(query_id)
        if query is not None:
            query.latest = result
            query.latest_ts = ts
            query.latest_fingerprint = _fingerprint(result)
            query.journal = result.journal

    def mutation_started(self, request_id: int, handle: Any) -> None:
        """The transport started the run asked for by `RunMutation`; `handle` lets another
        connection wait for it."""
        assert self._running == request_id and self._owns_run
        self._running_handle = handle
        self.memory.started(self.session_id or "", request_id, handle)

    def mutation_completed(
        self, request_id: int, response: MutationResponse | None
    ) -> list[SessionAction]:
        """The response of the running mutation (None: a system error, the connection ends).

        Call it even after the connection is lost: the memory records the
        response for the client's re-send on its next connection.
        """
        assert self._running == request_id
        if self._owns_run:
            self.memory.finished(self.session_id or "", request_id, self._running_handle, response)
        self._running = self._running_handle = None
        self._owns_run = False
        if self.closed:
            return []
        if response is None:
            return self._close(Close(CLOSE_INTERNAL, "InternalServerError"))
        return self._responded(response) + self._next_mutation()

    def action_completed(self, response: ActionResponse | None) -> list[SessionAction]:
        """An action's response (None: a system error, the connection ends)."""
        if self.closed:
            return []
        self._actions_running -= 1
        if response is None:
            return self._close(Close(CLOSE_INTERNAL, "InternalServerError"))
        self.transition_owed = True
        return [Send(response)]

    def connection_lost(self) -> None:
        """The socket is gone: queued mutations are dropped (the client re-sends them)."""
        self.closed = True
        self._queued.clear()

    def _next_mutation(self) -> list[SessionAction]:
        """Start the next queued mutation unless one is running: answered from memory,
        waited for on another connection, or run."""
        actions: list[SessionAction] = []
        while self._running is None and self._queued:
            request, caller = self._queued.popleft()
            known = self.memory.lookup(self.session_id or "", request.request_id)
            if isinstance(known, MutationResponse):
                actions += self._responded(known)
                continue
            self._running = request.request_id
            if isinstance(known, InFlight):
                actions.append(AwaitMutation(request.request_id, known.handle))
            else:
                self._owns_run = True
                actions.append(
                    RunMutation(
                        request.request_id,
                        request.udf_path,
                        request.args,
                        request.component_path,
                        caller,
                    )
                )
        return actions

    def _responded(self, response: MutationResponse) -> list[SessionAction]:
        """Read-your-writes: a Transition reaching the commit is owed from now on."""
        if response.ts is not None:
            self.required_ts = max(self.required_ts, response.ts)
        self.transition_owed = True
        return [Send(response)]

    # ---- ending -----------------------------------------------------------------------------

    def _protocol_error(self, exc: ProtocolError) -> list[SessionAction]:
        if exc.fatal:
            return self._close(Close(CLOSE_NORMAL, "", exc.message), FatalError(exc.message))
        return self._close(Close(CLOSE_INTERNAL, "InternalServerError", exc.message))

    def _close(
        self, close: Close, final: AuthError | FatalError | None = None
    ) -> list[SessionAction]:
        self.connection_lost()
        return [close] if final is None else [Send(final), close]

    # ---- transitions ------------------------------------------------------------------------

    @property
    def waiting_for_results(self) -> bool:
        """True while a query added (or re-run for a new identity) has no result yet."""
        if not self._added:
            return False
        return any(self.queries[query_id].latest is None for query_id in self._added)

    @property
    def has_changes(self) -> bool:
        """True if a Transition now would carry anything beyond a new timestamp."""
        current = self.current
        if (
            self.received_query_set != current.query_set
            or self.received_identity != current.identity
            or self._removed
        ):
            return True
        for q in self.queries.values():
            if q.latest is not None and q.latest_fingerprint != q.sent_fingerprint:
                return True
        return False

    @property
    def transition_due(self) -> bool:
        """True if a Transition is owed or would carry something: `next_transition` will
        produce one once every query has a result current through its timestamp."""
        return not self.closed and (
            self.transition_owed or self.required_ts > self.current.ts or self.has_changes
        )

    def next_transition(
        self,
        current_through: Callable[[int], bool] | bool,
        *,
        latest_ts: int,
        server_ts_ns: int | None = None,
    ) -> Transition | None:
        """The Transition to send now, or None if none is due or it may not be sent yet.

        One is due when the client's state changed or a mutation or action
        was answered since the last one. Its timestamp is the latest of: the
        last one sent, every answered mutation's commit, and the queries'
        newest result (`latest_ts` when no query has a result). It may be
        sent once every query has a result and `current_through(ts)` says the
        results still hold at that timestamp; otherwise ask again when a
        result arrives or a subscription's state changes.
        """
        if not self.transition_due or self.waiting_for_results:
            return None
        results = [q.latest_ts for q in self.queries.values() if q.latest_ts is not None]
        ts = max(self.required_ts, self.current.ts, max(results) if results else latest_ts)
        current = current_through if isinstance(current_through, bool) else current_through(ts)
        if not current:
            return None
        return self._transition(ts, server_ts_ns)

    def _transition(self, ts: int, server_ts_ns: int | None) -> Transition:
        modifications: dict[int, QueryModification] = {
            query_id: QueryRemoved(query_id) for query_id in self._removed
        }
        for query_id, query in self.queries.items():
            if query.latest is None:
                continue
            if query.latest_fingerprint != query.sent_fingerprint or query_id in self._added:
                modifications[query_id] = query.latest
                query.sent_fingerprint = query.latest_fingerprint
        self._removed.clear()
        self._added.clear()
        self.transition_owed = False
        start = self.current
        self.current = StateVersion(self.received_query_set, self.received_identity, ts)
        return Transition(
            start,
            self.current,
            tuple(modifications[query_id] for query_id in sorted(modifications)),
            self.client_clock_skew,
            server_ts_ns,
        )
