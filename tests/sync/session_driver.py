"""Driving a `SyncSession` by hand: frames in, actions out, no event loop."""

from __future__ import annotations

import json
from typing import Any

from convexlite.sync import MutationMemory, SessionAction, SyncSession

SESSION = "3f0e4c2a-9b1d-4c7e-8a55-2d6f0b9e1a77"


def send(session: SyncSession, message: dict[str, Any], latest_ts: int = 0) -> list[SessionAction]:
    return session.receive(json.dumps(message), now_ms=1004.0, latest_ts=latest_ts)


def connected(
    client_ts: float | None = 1000.0, memory: MutationMemory | None = None
) -> SyncSession:
    session = SyncSession(memory, anonymous="anonymous")
    connect: dict[str, Any] = {"type": "Connect", "sessionId": SESSION, "connectionCount": 0}
    if client_ts is not None:
        connect["clientTs"] = client_ts
    assert send(session, connect) == []
    return session


def modify(session: SyncSession, base: int, new: int, *mods: dict[str, Any]) -> list[SessionAction]:
    return send(
        session,
        {
            "type": "ModifyQuerySet",
            "baseVersion": base,
            "newVersion": new,
            "modifications": list(mods),
        },
    )


def add(query_id: int, path: str = "messages:list") -> dict[str, Any]:
    return {"type": "Add", "queryId": query_id, "udfPath": path, "args": [{}]}


def remove(query_id: int) -> dict[str, Any]:
    return {"type": "Remove", "queryId": query_id}


def mutation(request_id: int, path: str = "messages:send") -> dict[str, Any]:
    return {"type": "Mutation", "requestId": request_id, "udfPath": path, "args": [{}]}


def authenticate(base: int, token_type: str = "None", **extra: Any) -> dict[str, Any]:
    return {"type": "Authenticate", "tokenType": token_type, "baseVersion": base, **extra}
