"""The Convex sync protocol as a sans-IO state machine (spec/protocol.md §2).

Messages in, messages out: no sockets and no event loop, so the protocol's
rules (version chaining, monotonic timestamps, mutation de-duplication) are
tested on their own; `convexlite.server.sync_endpoint` drives it over a WebSocket.
"""

from convexlite.sync.messages import (
    Action,
    Add,
    Authenticate,
    ClientMessage,
    Connect,
    Event,
    ModifyQuerySet,
    Mutation,
    ProtocolError,
    Remove,
    decode_ts,
    encode_ts,
    parse_message,
)
from convexlite.sync.session import (
    PING,
    LiveQuery,
    MutationMemory,
    RecordedMutation,
    StateVersion,
    SyncSession,
    action_success,
    fatal_error,
    mutation_success,
    query_failed,
    query_updated,
    request_failure,
)

__all__ = [
    "PING",
    "Action",
    "Add",
    "Authenticate",
    "ClientMessage",
    "Connect",
    "Event",
    "LiveQuery",
    "ModifyQuerySet",
    "Mutation",
    "MutationMemory",
    "ProtocolError",
    "RecordedMutation",
    "Remove",
    "StateVersion",
    "SyncSession",
    "action_success",
    "decode_ts",
    "encode_ts",
    "fatal_error",
    "mutation_success",
    "parse_message",
    "query_failed",
    "query_updated",
    "request_failure",
]
