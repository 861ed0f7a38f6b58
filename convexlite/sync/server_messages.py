"""Server messages of the sync protocol (spec/protocol.md §2.4–§2.6), as immutable values.

They mirror the client messages in `convexlite.sync.messages`: the session
produces them and the transport only serialises them (`to_json`). Values
inside them (query results, mutation results, `errorData`) are already in
the encoded wire format (§1.3); a query's value may also be its JSON text
already serialised (`msgspec.Raw`), so a result watched by many connections
is serialised once for all of them (`encode_message` splices it in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from convexlite.values.formats import encode_ts

_ENCODER = msgspec.json.Encoder()
_TS_TEXT: dict[int, str] = {}


def _encoded_ts(ts: int) -> str:
    """`encode_ts`, remembered: a commit reaching many connections ends all their Transitions."""
    text = _TS_TEXT.get(ts)
    if text is None:
        if len(_TS_TEXT) >= 64:
            _TS_TEXT.clear()
        text = _TS_TEXT[ts] = encode_ts(ts)
    return text


@dataclass(frozen=True, slots=True)
class StateVersion:
    """What the client holds after a Transition: query-set and identity versions, and a ts."""

    query_set: int
    identity: int
    ts: int

    def to_json(self) -> dict[str, Any]:
        return {"querySet": self.query_set, "identity": self.identity, "ts": _encoded_ts(self.ts)}


@dataclass(frozen=True, slots=True)
class QueryUpdated:
    query_id: int
    value: Any
    log_lines: tuple[str, ...] = ()
    journal: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "QueryUpdated",
            "queryId": self.query_id,
            "value": self.value,
            "logLines": list(self.log_lines),
            "journal": self.journal,
        }


@dataclass(frozen=True, slots=True)
class QueryFailed:
    """A query's error; `errorData` is sent only for a ConvexError (`has_error_data`, §4.3)."""

    query_id: int
    error_message: str
    log_lines: tuple[str, ...] = ()
    journal: str | None = None
    error_data: Any = None
    has_error_data: bool = False

    def to_json(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "QueryFailed",
            "queryId": self.query_id,
            "errorMessage": self.error_message,
            "logLines": list(self.log_lines),
            "journal": self.journal,
        }
        if self.has_error_data:
            message["errorData"] = self.error_data
        return message


@dataclass(frozen=True, slots=True)
class QueryRemoved:
    query_id: int

    def to_json(self) -> dict[str, Any]:
        return {"type": "QueryRemoved", "queryId": self.query_id}


QueryResult = QueryUpdated | QueryFailed
QueryModification = QueryUpdated | QueryFailed | QueryRemoved


@dataclass(frozen=True, slots=True)
class Transition:
    start_version: StateVersion
    end_version: StateVersion
    modifications: tuple[QueryModification, ...]
    client_clock_skew: int | None
    server_ts: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "Transition",
            "startVersion": self.start_version.to_json(),
            "endVersion": self.end_version.to_json(),
            "modifications": [m.to_json() for m in self.modifications],
            "clientClockSkew": self.client_clock_skew,
            "serverTs": self.server_ts,
        }


@dataclass(frozen=True, slots=True)
class MutationResponse:
    """A mutation's outcome: on success `result` is its value and `ts` its commit timestamp;
    on failure `result` is the error message and `ts` is None."""

    request_id: int
    success: bool
    result: Any
    ts: int | None
    log_lines: tuple[str, ...] = ()
    error_data: Any = None
    has_error_data: bool = False

    def to_json(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "MutationResponse",
            "requestId": self.request_id,
            "success": self.success,
            "result": self.result,
            "ts": None if self.ts is None else encode_ts(self.ts),
            "logLines": list(self.log_lines),
        }
        if self.has_error_data:
            message["errorData"] = self.error_data
        return message


@dataclass(frozen=True, slots=True)
class ActionResponse:
    request_id: int
    success: bool
    result: Any
    log_lines: tuple[str, ...] = ()
    error_data: Any = None
    has_error_data: bool = False

    def to_json(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "ActionResponse",
            "requestId": self.request_id,
            "success": self.success,
            "result": self.result,
            "logLines": list(self.log_lines),
        }
        if self.has_error_data:
            message["errorData"] = self.error_data
        return message


@dataclass(frozen=True, slots=True)
class AuthError:
    """The token was refused; `base_version` is the identity version the client last saw."""

    error: str
    base_version: int
    auth_update_attempted: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "AuthError",
            "error": self.error,
            "baseVersion": self.base_version,
            "authUpdateAttempted": self.auth_update_attempted,
        }


@dataclass(frozen=True, slots=True)
class FatalError:
    error: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "FatalError", "error": self.error}


@dataclass(frozen=True, slots=True)
class Ping:
    def to_json(self) -> dict[str, Any]:
        return {"type": "Ping"}


ServerMessage = Transition | MutationResponse | ActionResponse | AuthError | FatalError | Ping

_PING = b'{"type":"Ping"}'


def encode_message(message: ServerMessage) -> bytes:
    """The frame's JSON text (UTF-8), with pre-serialised values (`msgspec.Raw`) spliced in."""
    if type(message) is Ping:
        return _PING
    return _ENCODER.encode(message.to_json())
