"""Mutation idempotency records of the sync protocol (`_session_requests`, spec/protocol.md §2.7).

An npm client re-sends every mutation it has not seen released after a reconnect,
including one it sent to a server that has since restarted. Each successful mutation
sent with a session id therefore records `(sessionId, requestId) → (result, log lines)`
in the transaction that commits it, and a mutation finding its record does not run
again: it is answered with the recorded result and the record's commit timestamp, the
original mutation's. The lookup is part of the mutation's read set, so two runs of one
request racing on two servers' connections cannot both commit. Records are forgotten
after two weeks (upstream's `MAX_SESSION_CLEANUP_DURATION`), long after any client
would re-send.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from convexlite.database.intervals import Interval
from convexlite.database.transaction import Transaction
from convexlite.errors import ConvexBackendError
from convexlite.values import Int64, sort_key
from convexlite.values.json_codec import decode, encode

SESSION_REQUESTS = "_session_requests"
BY_SESSION_AND_REQUEST = "by_session_id_and_request_id"
SYSTEM_TABLES: dict[str, dict[str, list[str]]] = {
    SESSION_REQUESTS: {BY_SESSION_AND_REQUEST: ["sessionId", "requestId"]}
}
KEPT_MS = 14 * 24 * 3600 * 1000
"""How long a record is kept: a client re-sends within its reconnects, not weeks later."""
MAX_RECORDED_RESULT = 512 * 1024
"""Results past this many bytes of JSON are not kept (a document holds at most 1 MiB)."""


class ResultNotKept(ConvexBackendError):
    code = "MutationResultNotKept"


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a mutation that already ran answered: its value, log lines and commit ts."""

    value: Any
    log_lines: list[str]
    ts: int


class MutationAlreadyRan(Exception):
    """Raised in the mutation's transaction, before its code runs: `recorded` answers it."""

    def __init__(self, recorded: Recorded) -> None:
        super().__init__("the mutation already ran")
        self.recorded = recorded


@dataclass(frozen=True, slots=True)
class SessionRequest:
    """A mutation sent over the sync protocol by the client session `session_id`; only a
    client that reconnected (`may_be_resent`) can send one that already ran, so only its
    mutations look for a record (the lookup is most of the cost)."""

    session_id: str
    request_id: int
    may_be_resent: bool = True

    def begin(self, tx: Transaction) -> None:
        """Raise `MutationAlreadyRan` if this request committed before."""
        if not self.may_be_resent:
            return
        key = Interval.prefix(sort_key(self.session_id) + sort_key(Int64(self.request_id)))
        row = next(tx.rows(SESSION_REQUESTS, BY_SESSION_AND_REQUEST, key, prefetch=1), None)
        if row is None:
            return
        ts = tx.committed_ts(row["_id"])
        assert ts is not None, "a record is written with its mutation's commit"
        if row["result"] is None:
            raise ResultNotKept(
                "This mutation already ran; its result was too large to keep for a re-send"
            )
        recorded = Recorded(decode(json.loads(row["result"])), list(row["logLines"]), ts)
        raise MutationAlreadyRan(recorded)

    def succeed(self, tx: Transaction, value: Any, log_lines: list[str]) -> None:
        """Record the request's outcome in the transaction that commits it."""
        result: str | None = json.dumps(encode(value), separators=(",", ":"))
        if result is not None and len(result) > MAX_RECORDED_RESULT:
            result = None
        fields = {
            "sessionId": self.session_id,
            "requestId": Int64(self.request_id),
            "result": result,
            "logLines": list(log_lines) if result is not None else [],
        }
        tx.insert(SESSION_REQUESTS, fields)


def forget_old(tx: Transaction, now_ms: float, limit: int) -> int:
    """Delete up to `limit` records older than `KEPT_MS`; returns how many."""
    deleted = 0
    for row in tx.rows(SESSION_REQUESTS, prefetch=limit):
        if row["_creationTime"] > now_ms - KEPT_MS or deleted == limit:
            break
        tx.delete(row["_id"])
        deleted += 1
    return deleted
