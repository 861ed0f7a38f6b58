"""Which mutations a client session has already sent, shared by all of its connections.

An npm client re-sends every mutation it has not seen released after a
reconnect, on a new socket (§2.7). The memory decides what such a re-send
means: answer it from the recorded response, wait for the run another
connection already started, or run it. Without it a mutation would run twice.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from convexlite.sync.server_messages import MutationResponse

Key = tuple[str, int]


@dataclass(frozen=True, slots=True)
class InFlight:
    """A run of the mutation is under way; `handle` is the transport's handle on it."""

    handle: Any


class MutationMemory:
    """Successful responses by (sessionId, requestId), and the runs still in flight.

    Bounded: the oldest responses go first, long after any client would
    re-send them. Failures are not recorded; a re-send runs again, as upstream.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._responses: OrderedDict[Key, MutationResponse] = OrderedDict()
        self._in_flight: dict[Key, Any] = {}

    def __len__(self) -> int:
        return len(self._responses)

    def lookup(self, session_id: str, request_id: int) -> MutationResponse | InFlight | None:
        """The recorded response, the run in flight, or None: it must run."""
        key = (session_id, request_id)
        response = self._responses.get(key)
        if response is not None:
            return response
        if key in self._in_flight:
            return InFlight(self._in_flight[key])
        return None

    def started(self, session_id: str, request_id: int, handle: Any) -> None:
        self._in_flight[(session_id, request_id)] = handle

    def finished(
        self, session_id: str, request_id: int, handle: Any, response: MutationResponse | None
    ) -> None:
        """The run behind `handle` ended with `response` (None: a system error, no answer)."""
        key = (session_id, request_id)
        if self._in_flight.get(key) is handle:
            del self._in_flight[key]
        if response is not None and response.success:
            self._responses[key] = response
            self._responses.move_to_end(key)
            while len(self._responses) > self.capacity:
                self._responses.popitem(last=False)
