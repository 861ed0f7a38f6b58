"""One sync connection's protocol state (spec/protocol.md §2.2–§2.7), without any I/O.

The transport feeds client messages to `SyncSession.receive` and query
results to `set_result`, and asks `transition` for the next Transition
whenever it has something to report. The session owns the versions: the
ones received from the client, and the `StateVersion` last sent, so every
Transition starts exactly where the previous one ended and no timestamp
goes backwards, whatever order the transport calls in.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from convexlite.sync.messages import (
    Add,
    Authenticate,
    ClientMessage,
    Connect,
    ModifyQuerySet,
    ProtocolError,
    Remove,
    encode_ts,
    parse_message,
)

QueryModification = dict[str, Any]


@dataclass(frozen=True, slots=True)
class StateVersion:
    query_set: int
    identity: int
    ts: int

    def to_json(self) -> dict[str, Any]:
        return {"querySet": self.query_set, "identity": self.identity, "ts": encode_ts(self.ts)}


@dataclass(slots=True)
class LiveQuery:
    """A query in the client's set: what to run, and what the client last saw of it."""

    query_id: int
    udf_path: str
    args: list[Any]
    journal: str | None
    component_path: str | None
    latest: QueryModification | None = None
    latest_fingerprint: str | None = None
    sent_fingerprint: str | None = None


def query_updated(
    query_id: int, value: Any, log_lines: list[str], journal: str | None
) -> QueryModification:
    """A `QueryUpdated` modification; `value` is already encoded (§1.3)."""
    return {
        "type": "QueryUpdated",
        "queryId": query_id,
        "value": value,
        "logLines": log_lines,
        "journal": journal,
    }


def query_failed(
    query_id: int,
    error_message: str,
    log_lines: list[str],
    journal: str | None,
    error_data: Any = None,
    *,
    has_error_data: bool = False,
) -> QueryModification:
    """A `QueryFailed` modification; `errorData` only for a ConvexError (§4.3)."""
    message: QueryModification = {
        "type": "QueryFailed",
        "queryId": query_id,
        "errorMessage": error_message,
        "logLines": log_lines,
        "journal": journal,
    }
    if has_error_data:
        message["errorData"] = error_data
    return message


def _fingerprint(modification: QueryModification) -> str:
    return json.dumps({k: v for k, v in modification.items() if k != "journal"}, sort_keys=True)


class SyncSession:
    """The protocol state of one WebSocket connection."""

    def __init__(self) -> None:
        self.session_id: str | None = None
        self.client_clock_skew: int | None = None
        self.received_query_set = 0
        self.received_identity = 0
        self.current = StateVersion(0, 0, 0)
        self.queries: dict[int, LiveQuery] = {}
        self._removed: set[int] = set()
        self._added: set[int] = set()
        self._connected = False

    # ---- input ------------------------------------------------------------------------------

    def receive(self, text: str | bytes, *, now_ms: float) -> ClientMessage:
        """Parse and apply one client message; raise `ProtocolError` if it breaks the protocol.

        Query-set and identity versions are checked here; what the message asks
        for (running a mutation, validating a token) is left to the caller,
        which reports back through `authenticated`.
        """
        message = parse_message(text)
        if isinstance(message, Connect):
            if self._connected:
                raise ProtocolError("Received a second Connect message on one connection")
            self._connected = True
            self.session_id = message.session_id
            if message.client_ts is not None:
                self.client_clock_skew = int(message.client_ts - now_ms)
        elif not self._connected:
            raise ProtocolError("The first message on a connection must be Connect")
        elif isinstance(message, ModifyQuerySet):
            self._modify(message)
        elif isinstance(message, Authenticate) and message.base_version != self.received_identity:
            raise ProtocolError(
                f"Base identity version {message.base_version} passed up doesn't match the "
                f"current identity version {self.received_identity}",
                fatal=False,
            )
        return message

    def _modify(self, message: ModifyQuerySet) -> None:
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
        for modification in message.modifications:
            self._apply(modification)
        self.received_query_set = message.new_version

    def _apply(self, modification: Add | Remove) -> None:
        query_id = modification.query_id
        if isinstance(modification, Remove):
            del self.queries[query_id]
            if query_id in self._added:
                self._added.discard(query_id)
            self._removed.add(query_id)
            return
        self.queries[query_id] = LiveQuery(
            query_id,
            modification.udf_path,
            modification.args,
            modification.journal,
            modification.component_path,
        )
        self._removed.discard(query_id)
        self._added.add(query_id)

    def authenticated(self) -> None:
        """The token of the last `Authenticate` was accepted: the identity version advances."""
        self.received_identity += 1

    def set_result(self, query_id: int, modification: QueryModification) -> None:
        """Record the latest result of a live query (ignored once the query is removed)."""
        query = self.queries.get(query_id)
        if query is not None:
            query.latest = modification
            query.latest_fingerprint = _fingerprint(modification)
            query.journal = modification.get("journal")

    # ---- output -----------------------------------------------------------------------------

    @property
    def waiting_for_results(self) -> bool:
        """True while a query added since the last Transition has no result yet."""
        return any(self.queries[query_id].latest is None for query_id in self._added)

    @property
    def has_changes(self) -> bool:
        """True if a Transition now would carry anything beyond a new timestamp."""
        return (
            self.received_query_set != self.current.query_set
            or self.received_identity != self.current.identity
            or bool(self._removed)
            or any(
                q.latest is not None and q.latest_fingerprint != q.sent_fingerprint
                for q in self.queries.values()
            )
        )

    def transition(self, ts: int, *, server_ts_ns: int | None) -> dict[str, Any]:
        """The next Transition, at timestamp `ts` or the last one sent if that is later.

        Call only when `waiting_for_results` is false: every query added since
        the last Transition must be answered in it (§2.4.2 rule 3).
        """
        if self.waiting_for_results:
            raise RuntimeError("a Transition cannot be sent before every added query has a result")
        modifications: dict[int, QueryModification] = {
            query_id: {"type": "QueryRemoved", "queryId": query_id} for query_id in self._removed
        }
        for query_id, query in self.queries.items():
            if query.latest is None:
                continue
            if query.latest_fingerprint != query.sent_fingerprint or query_id in self._added:
                modifications[query_id] = query.latest
                query.sent_fingerprint = query.latest_fingerprint
        self._removed.clear()
        self._added.clear()
        start = self.current
        self.current = StateVersion(
            self.received_query_set, self.received_identity, max(ts, start.ts)
        )
        return {
            "type": "Transition",
            "startVersion": start.to_json(),
            "endVersion": self.current.to_json(),
            "modifications": [modifications[query_id] for query_id in sorted(modifications)],
            "clientClockSkew": self.client_clock_skew,
            "serverTs": server_ts_ns,
        }

    def auth_error(self, error: str, *, attempted: bool = True) -> dict[str, Any]:
        return {
            "type": "AuthError",
            "error": error,
            "baseVersion": self.current.identity,
            "authUpdateAttempted": attempted,
        }


def mutation_success(request_id: int, result: Any, ts: int, log_lines: list[str]) -> dict[str, Any]:
    """`result` is already encoded."""
    return {
        "type": "MutationResponse",
        "requestId": request_id,
        "success": True,
        "result": result,
        "ts": encode_ts(ts),
        "logLines": log_lines,
    }


def request_failure(
    kind: str,
    request_id: int,
    error_message: str,
    log_lines: list[str],
    error_data: Any = None,
    *,
    has_error_data: bool = False,
) -> dict[str, Any]:
    """A failed `MutationResponse` or `ActionResponse` (`kind`)."""
    message: dict[str, Any] = {
        "type": kind,
        "requestId": request_id,
        "success": False,
        "result": error_message,
    }
    if kind == "MutationResponse":
        message["ts"] = None
    message["logLines"] = log_lines
    if has_error_data:
        message["errorData"] = error_data
    return message


def action_success(request_id: int, result: Any, log_lines: list[str]) -> dict[str, Any]:
    return {
        "type": "ActionResponse",
        "requestId": request_id,
        "success": True,
        "result": result,
        "logLines": log_lines,
    }


def fatal_error(message: str) -> dict[str, Any]:
    return {"type": "FatalError", "error": message}


PING: dict[str, Any] = {"type": "Ping"}


@dataclass(frozen=True, slots=True)
class RecordedMutation:
    result: Any
    log_lines: list[str]
    ts: int


class MutationMemory:
    """Results of recent successful mutations by (sessionId, requestId), shared by connections.

    An npm client re-sends every mutation it has not seen released after a
    reconnect, on a new socket; answering from here is what keeps that from
    running twice (§2.7). Bounded: the oldest records go first, long after
    any client would re-send them.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._records: OrderedDict[tuple[str, int], RecordedMutation] = OrderedDict()

    def __len__(self) -> int:
        return len(self._records)

    def get(self, session_id: str, request_id: int) -> RecordedMutation | None:
        return self._records.get((session_id, request_id))

    def record(self, session_id: str, request_id: int, recorded: RecordedMutation) -> None:
        self._records[(session_id, request_id)] = recorded
        self._records.move_to_end((session_id, request_id))
        while len(self._records) > self.capacity:
            self._records.popitem(last=False)
