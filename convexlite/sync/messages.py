"""Client messages of the sync protocol (spec/protocol.md §2.3) and their strict parser.

Parsing is all-or-nothing: a message that is not exactly what a client may
send is a protocol error, never partially applied.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from typing import Any

from convexlite.values.formats import decode_ts
from convexlite.values.function_paths import InvalidFunctionPath, canonicalize

MAX_U32 = 2**32 - 1


class ProtocolError(Exception):
    """The client broke the protocol; the connection cannot continue.

    `fatal` errors are deterministic (retrying the same messages fails again):
    they end with a `FatalError` message. The others are invariant violations
    upstream treats as system errors: close 1011 `InternalServerError`.
    """

    def __init__(self, message: str, *, fatal: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.fatal = fatal


@dataclass(frozen=True, slots=True)
class Connect:
    session_id: str
    connection_count: int
    last_close_reason: str | None
    max_observed_ts: int | None
    client_ts: float | None


@dataclass(frozen=True, slots=True)
class Add:
    query_id: int
    udf_path: str
    args: list[Any]
    journal: str | None
    component_path: str | None


@dataclass(frozen=True, slots=True)
class Remove:
    query_id: int


@dataclass(frozen=True, slots=True)
class ModifyQuerySet:
    base_version: int
    new_version: int
    modifications: tuple[Add | Remove, ...]


@dataclass(frozen=True, slots=True)
class Mutation:
    request_id: int
    udf_path: str
    args: list[Any]
    component_path: str | None


@dataclass(frozen=True, slots=True)
class Action:
    request_id: int
    udf_path: str
    args: list[Any]
    component_path: str | None


@dataclass(frozen=True, slots=True)
class Authenticate:
    base_version: int
    token_type: str
    value: str | None
    impersonating: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Event:
    event_type: str
    event: Any


ClientMessage = Connect | ModifyQuerySet | Mutation | Action | Authenticate | Event


class _Invalid(Exception):
    pass


def _field(
    obj: dict[str, Any],
    name: str,
    kind: type | tuple[type, ...],
    *,
    required: bool = True,
    nullable: bool = False,
) -> Any:
    if name not in obj:
        if required:
            raise _Invalid(f"missing field `{name}`")
        return None
    value = obj[name]
    if value is None and (nullable or not required):
        return None
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise _Invalid(f"invalid type for `{name}`: expected {_kind_name(kind)}")
    if not isinstance(value, kind):
        raise _Invalid(f"invalid type for `{name}`: expected {_kind_name(kind)}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _u32(obj: dict[str, Any], name: str) -> int:
    value = _field(obj, name, (int, float))
    if isinstance(value, float):
        if not value.is_integer():
            raise _Invalid(f"`{name}` must be an integer")
        value = int(value)
    if not 0 <= value <= MAX_U32:
        raise _Invalid(f"`{name}` is out of range for u32")
    return value


def _client_ts(obj: dict[str, Any]) -> float | None:
    """`clientTs` in milliseconds: a finite number (a clock skew is computed from it)."""
    value = _field(obj, "clientTs", (int, float), required=False)
    if value is None:
        return None
    try:
        client_ts = float(value)
    except OverflowError:
        client_ts = math.inf
    if not math.isfinite(client_ts):
        raise _Invalid("`clientTs` must be a finite number")
    return client_ts


def _path(obj: dict[str, Any], name: str) -> str:
    path = _field(obj, name, str)
    try:
        canonicalize(path)
    except InvalidFunctionPath as exc:
        raise _Invalid(exc.message) from exc
    return path


def _args(obj: dict[str, Any]) -> list[Any]:
    return _field(obj, "args", list)


def _add(entry: Any) -> Add | Remove:
    if not isinstance(entry, dict):
        raise _Invalid("query set modification must be an object")
    kind = _field(entry, "type", str)
    if kind == "Remove":
        return Remove(_u32(entry, "queryId"))
    if kind != "Add":
        raise _Invalid(f"unknown query set modification `{kind}`")
    return Add(
        _u32(entry, "queryId"),
        _path(entry, "udfPath"),
        _args(entry),
        _field(entry, "journal", str, required=False),
        _field(entry, "componentPath", str, required=False),
    )


def _parse(obj: dict[str, Any]) -> ClientMessage:
    kind = _field(obj, "type", str)
    if kind == "Connect":
        session_id = _field(obj, "sessionId", str)
        try:
            session_id = str(uuid.UUID(session_id))
        except ValueError as exc:
            raise _Invalid(f"invalid sessionId {session_id!r}: not a UUID") from exc
        max_observed = _field(obj, "maxObservedTimestamp", str, required=False)
        try:
            max_ts = None if max_observed is None else decode_ts(max_observed)
        except ValueError as exc:
            raise _Invalid(str(exc)) from exc
        return Connect(
            session_id,
            _u32(obj, "connectionCount"),
            _field(obj, "lastCloseReason", str, required=False),
            max_ts,
            _client_ts(obj),
        )
    if kind == "ModifyQuerySet":
        modifications = _field(obj, "modifications", list)
        return ModifyQuerySet(
            _u32(obj, "baseVersion"),
            _u32(obj, "newVersion"),
            tuple(_add(entry) for entry in modifications),
        )
    if kind in ("Mutation", "Action"):
        cls = Mutation if kind == "Mutation" else Action
        return cls(
            _u32(obj, "requestId"),
            _path(obj, "udfPath"),
            _args(obj),
            _field(obj, "componentPath", str, required=False),
        )
    if kind == "Authenticate":
        token_type = _field(obj, "tokenType", str)
        if token_type not in ("User", "Admin", "None"):
            raise _Invalid(f"unknown tokenType `{token_type}`")
        value = _field(obj, "value", str, required=token_type != "None")
        impersonating = _field(obj, "impersonating", dict, required=False)
        if impersonating is None:
            impersonating = _field(obj, "acting_as", dict, required=False)
        return Authenticate(_u32(obj, "baseVersion"), token_type, value, impersonating)
    if kind == "Event":
        if "event" not in obj:
            raise _Invalid("missing field `event`")
        return Event(_field(obj, "eventType", str), obj["event"])
    raise _Invalid(f"unknown message type `{kind}`")


def parse_message(text: str | bytes) -> ClientMessage:
    """Parse one text frame; raise `ProtocolError` with Convex's message if it is not valid."""
    try:
        obj = json.loads(text)
        if not isinstance(obj, dict):
            raise _Invalid("expected a JSON object")
        return _parse(obj)
    except (ValueError, _Invalid) as exc:
        raise ProtocolError(f"Received Invalid JSON on websocket: {exc}") from exc
    except RecursionError:
        raise ProtocolError("Received Invalid JSON on websocket: nested too deeply") from None
