"""The Convex sync protocol as a sans-IO state machine (spec/protocol.md §2).

Messages in, actions and messages out: no sockets and no event loop, so every
protocol rule (version chaining, monotonic timestamps, read-your-writes,
mutation de-duplication, authentication outcomes) is tested on its own;
`convexlite.server.sync_endpoint` only pumps frames and runs what it is told.
The timestamp codec is re-exported from `convexlite.values.formats`, its home.
"""

from convexlite.sync.actions import (
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
    Event,
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
    Ping,
    QueryFailed,
    QueryRemoved,
    QueryUpdated,
    ServerMessage,
    StateVersion,
    Transition,
    encode_message,
)
from convexlite.sync.session import SyncedQuery, SyncSession
from convexlite.values.formats import decode_ts, encode_ts

__all__ = [
    "Action",
    "ActionResponse",
    "Add",
    "AuthError",
    "Authenticate",
    "AwaitMutation",
    "ClientMessage",
    "Close",
    "Connect",
    "Event",
    "FatalError",
    "InFlight",
    "ModifyQuerySet",
    "Mutation",
    "MutationMemory",
    "MutationResponse",
    "Ping",
    "ProtocolError",
    "QueryFailed",
    "QueryRemoved",
    "QueryUpdated",
    "Remove",
    "RunAction",
    "RunMutation",
    "Send",
    "ServerMessage",
    "SessionAction",
    "StateVersion",
    "SyncSession",
    "SyncedQuery",
    "Transition",
    "Unwatch",
    "VerifyAdminKey",
    "VerifyUserToken",
    "Watch",
    "decode_ts",
    "encode_message",
    "encode_ts",
    "parse_message",
]
