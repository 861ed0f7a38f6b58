"""The per-connection protocol state: versions, transitions, currency, closing."""

from __future__ import annotations

import pytest
from session_driver import SESSION, add, connected, modify, remove, send

from convexlite.sync import (
    Close,
    FatalError,
    QueryFailed,
    QueryUpdated,
    Send,
    SyncSession,
    Transition,
    Unwatch,
    Watch,
)
from convexlite.values.formats import decode_ts

TS = 1755820800123456789


def test_adding_queries_asks_to_watch_them() -> None:
    session = connected()
    actions = modify(session, 0, 1, add(0), add(1, "users:get"), remove(0))
    assert actions == [
        Watch(0, "messages:list", [{}], "anonymous"),
        Watch(1, "users:get", [{}], "anonymous"),
        Unwatch(0),
    ]
    assert list(session.queries) == [1]


def test_first_transition_answers_added_queries() -> None:
    session = connected()
    modify(session, 0, 1, add(0), add(1))
    assert session.waiting_for_results
    session.query_result(0, QueryUpdated(0, [], ("[LOG] 'x'",)), TS - 5)
    assert session.next_transition(True, latest_ts=TS) is None
    session.query_result(1, QueryFailed(1, "boom", (), None, "data", True), TS)
    transition = session.next_transition(True, latest_ts=0, server_ts_ns=77)
    assert transition is not None
    assert transition.to_json() == {
        "type": "Transition",
        "startVersion": {"querySet": 0, "identity": 0, "ts": "AAAAAAAAAAA="},
        "endVersion": {"querySet": 1, "identity": 0, "ts": "Fc2ZCLftXRg="},
        "modifications": [
            {
                "type": "QueryUpdated",
                "queryId": 0,
                "value": [],
                "logLines": ["[LOG] 'x'"],
                "journal": None,
            },
            {
                "type": "QueryFailed",
                "queryId": 1,
                "errorMessage": "boom",
                "logLines": [],
                "journal": None,
                "errorData": "data",
            },
        ],
        "clientClockSkew": -4,
        "serverTs": 77,
    }
    assert session.next_transition(True, latest_ts=TS + 10) is None


def test_unchanged_results_are_not_resent_and_removals_are_acknowledged() -> None:
    session = connected(client_ts=None)
    modify(session, 0, 1, add(0), add(1))
    session.query_result(0, QueryUpdated(0, 1), 10)
    session.query_result(1, QueryUpdated(1, 2), 10)
    assert session.next_transition(True, latest_ts=10) is not None
    session.query_result(0, QueryUpdated(0, 1), 20)
    session.query_result(1, QueryUpdated(1, 3), 20)
    assert session.has_changes
    second = session.next_transition(True, latest_ts=20)
    assert second is not None
    assert [m.query_id for m in second.modifications] == [1]
    assert second.client_clock_skew is None
    modify(session, 1, 2, remove(0))
    third = session.next_transition(True, latest_ts=20)
    assert third is not None
    assert third.to_json()["modifications"] == [{"type": "QueryRemoved", "queryId": 0}]
    assert third.start_version == second.end_version
    assert not session.has_changes


def test_a_transition_waits_until_results_are_current_through_its_ts() -> None:
    session = connected()
    modify(session, 0, 1, add(0), add(1))
    session.query_result(0, QueryUpdated(0, "a"), 30)
    session.query_result(1, QueryUpdated(1, "b"), 40)
    asked: list[int] = []

    def not_yet(ts: int) -> bool:
        asked.append(ts)
        return False

    assert session.next_transition(not_yet, latest_ts=50) is None
    assert session.next_transition(False, latest_ts=50) is None
    assert asked == [40]  # the newest result's ts, not the database's
    transition = session.next_transition(lambda ts: ts == 40, latest_ts=50)
    assert transition is not None and transition.end_version.ts == 40


def test_timestamps_never_go_backwards() -> None:
    session = connected()
    modify(session, 0, 1, add(0))
    session.query_result(0, QueryUpdated(0, 1), 100)
    session.next_transition(True, latest_ts=0)
    session.query_result(0, QueryUpdated(0, 2), 50)
    asked: list[int] = []
    later = session.next_transition(lambda ts: asked.append(ts) or True, latest_ts=0)
    assert later is not None
    assert asked == [100] and later.end_version.ts == 100
    assert decode_ts(later.to_json()["endVersion"]["ts"]) == 100


def test_without_queries_the_database_ts_is_used() -> None:
    session = connected()
    modify(session, 0, 1)
    transition = session.next_transition(True, latest_ts=7)
    assert isinstance(transition, Transition) and transition.end_version.ts == 7


def test_a_result_of_a_removed_query_is_ignored() -> None:
    session = connected()
    modify(session, 0, 1, add(0))
    modify(session, 1, 2, remove(0))
    session.query_result(0, QueryUpdated(0, 1), 5)
    transition = session.next_transition(True, latest_ts=3)
    assert transition is not None
    assert transition.to_json()["modifications"] == [{"type": "QueryRemoved", "queryId": 0}]


def fatal(message: str) -> list[object]:
    return [Send(FatalError(message)), Close(1000, "", message)]


def test_protocol_violations_close_the_connection() -> None:
    fresh = SyncSession()
    assert modify(fresh, 0, 1) == fatal("The first message on a connection must be Connect")
    assert fresh.closed and modify(fresh, 0, 1) == []

    session = connected()
    actions = modify(session, 1, 2)
    assert actions == fatal("Base version 1 passed up doesn't match the current version 0")
    assert session.received_query_set == 0 and not session.queries

    second_connect = {"type": "Connect", "sessionId": SESSION, "connectionCount": 0}
    assert send(connected(), second_connect)[0] == Send(
        FatalError("Received a second Connect message on one connection")
    )
    assert send(connected(), {"type": "Nope"})[1] == Close(
        1000, "", "Received Invalid JSON on websocket: unknown message type `Nope`"
    )


@pytest.mark.parametrize(
    ("mods", "base", "new"),
    [((), 0, 0), ((add(0), add(0)), 0, 1), ((remove(3),), 0, 1)],
)
def test_invariant_violations_close_1011_and_change_nothing(
    mods: tuple[dict[str, object], ...], base: int, new: int
) -> None:
    session = connected()
    [close] = modify(session, base, new, *mods)
    assert isinstance(close, Close) and (close.code, close.reason) == (1011, "InternalServerError")
    assert session.received_query_set == 0 and not session.queries
    assert session.next_transition(True, latest_ts=1) is None


def test_a_client_ahead_of_the_database_is_refused() -> None:
    session = SyncSession()
    connect = {
        "type": "Connect",
        "sessionId": SESSION,
        "connectionCount": 1,
        "maxObservedTimestamp": "AAAAAAAAAAE=",  # 2**56
    }
    [close] = send(session, connect, latest_ts=2**56 - 1)
    assert isinstance(close, Close) and close.code == 1011
    assert send(SyncSession(), connect, latest_ts=2**56) == []
