"""The per-connection protocol state: versions, transitions, de-duplication memory."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convexlite.sync import (
    MutationMemory,
    ProtocolError,
    RecordedMutation,
    SyncSession,
    decode_ts,
    query_failed,
    query_updated,
)

SESSION = "3f0e4c2a-9b1d-4c7e-8a55-2d6f0b9e1a77"


def connected(client_ts: float | None = 1000.0) -> SyncSession:
    session = SyncSession()
    connect: dict[str, Any] = {"type": "Connect", "sessionId": SESSION, "connectionCount": 0}
    if client_ts is not None:
        connect["clientTs"] = client_ts
    session.receive(json.dumps(connect), now_ms=1004.0)
    return session


def modify(session: SyncSession, base: int, new: int, *mods: dict[str, Any]) -> None:
    session.receive(
        json.dumps(
            {
                "type": "ModifyQuerySet",
                "baseVersion": base,
                "newVersion": new,
                "modifications": list(mods),
            }
        ),
        now_ms=0,
    )


def add(query_id: int, path: str = "messages:list") -> dict[str, Any]:
    return {"type": "Add", "queryId": query_id, "udfPath": path, "args": [{}]}


def remove(query_id: int) -> dict[str, Any]:
    return {"type": "Remove", "queryId": query_id}


def test_first_transition_answers_added_queries() -> None:
    session = connected()
    modify(session, 0, 1, add(0), add(1))
    assert session.waiting_for_results
    session.set_result(0, query_updated(0, [], ["[LOG] 'x'"], None))
    assert session.waiting_for_results
    with pytest.raises(RuntimeError):
        session.transition(5, server_ts_ns=None)
    session.set_result(1, query_failed(1, "boom", [], None, "data", has_error_data=True))
    message = session.transition(1755820800123456789, server_ts_ns=77)
    assert message == {
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


def test_unchanged_results_are_not_resent_and_removals_are_acknowledged() -> None:
    session = connected(client_ts=None)
    modify(session, 0, 1, add(0), add(1))
    session.set_result(0, query_updated(0, 1, [], None))
    session.set_result(1, query_updated(1, 2, [], None))
    session.transition(10, server_ts_ns=None)
    session.set_result(0, query_updated(0, 1, [], None))
    session.set_result(1, query_updated(1, 3, [], None))
    assert session.has_changes
    second = session.transition(20, server_ts_ns=None)
    assert [m["queryId"] for m in second["modifications"]] == [1]
    assert second["clientClockSkew"] is None
    modify(session, 1, 2, remove(0))
    third = session.transition(20, server_ts_ns=None)
    assert third["modifications"] == [{"type": "QueryRemoved", "queryId": 0}]
    assert third["startVersion"] == second["endVersion"]
    assert not session.has_changes


def test_timestamps_never_go_backwards() -> None:
    session = connected()
    session.transition(100, server_ts_ns=None)
    later = session.transition(50, server_ts_ns=None)
    assert decode_ts(later["endVersion"]["ts"]) == 100


def test_identity_version_advances_on_acceptance() -> None:
    session = connected()
    session.receive('{"type":"Authenticate","tokenType":"None","baseVersion":0}', now_ms=0)
    session.authenticated()
    message = session.transition(1, server_ts_ns=None)
    assert message["endVersion"]["identity"] == 1
    with pytest.raises(ProtocolError) as caught:
        session.receive('{"type":"Authenticate","tokenType":"None","baseVersion":0}', now_ms=0)
    assert not caught.value.fatal


def test_protocol_violations() -> None:
    fresh = SyncSession()
    with pytest.raises(ProtocolError):
        modify(fresh, 0, 1)
    session = connected()
    with pytest.raises(ProtocolError) as caught:
        modify(session, 1, 2)
    assert caught.value.fatal
    assert "Base version 1 passed up doesn't match the current version 0" in caught.value.message
    with pytest.raises(ProtocolError) as caught:
        modify(session, 0, 0)
    assert not caught.value.fatal
    with pytest.raises(ProtocolError):
        modify(session, 0, 1, add(0), add(0))
    with pytest.raises(ProtocolError):
        modify(session, 0, 1, remove(3))
    assert session.received_query_set == 0 and not session.queries


def test_mutation_memory_is_bounded() -> None:
    memory = MutationMemory(capacity=2)
    for request_id in range(3):
        memory.record(SESSION, request_id, RecordedMutation(request_id, [], 10 + request_id))
    assert memory.get(SESSION, 0) is None
    assert memory.get(SESSION, 2) == RecordedMutation(2, [], 12)
    assert len(memory) == 2


operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 5)),
        st.tuples(st.just("remove"), st.integers(0, 5)),
        st.tuples(st.just("result"), st.integers(0, 5), st.integers(0, 3)),
        st.tuples(st.just("auth")),
        st.tuples(st.just("transition"), st.integers(0, 1000)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(operations)
def test_transitions_always_chain(ops: list[tuple[Any, ...]]) -> None:
    session = connected()
    version = 0
    sent: list[dict[str, Any]] = []
    identity_seen = 0
    for op in ops:
        if op[0] in ("add", "remove"):
            live = op[1] in session.queries
            mod = remove(op[1]) if op[0] == "remove" else add(op[1])
            try:
                modify(session, version, version + 1, mod)
            except ProtocolError:
                assert live == (op[0] == "add")
                continue
            version += 1
        elif op[0] == "result":
            session.set_result(op[1], query_updated(op[1], op[2], [], None))
        elif op[0] == "auth":
            session.receive(
                json.dumps(
                    {
                        "type": "Authenticate",
                        "tokenType": "None",
                        "baseVersion": session.received_identity,
                    }
                ),
                now_ms=0,
            )
            session.authenticated()
            identity_seen += 1
        elif not session.waiting_for_results:
            sent.append(session.transition(op[1], server_ts_ns=None))
    for query_id in list(session.queries):
        session.set_result(query_id, query_updated(query_id, "final", [], None))
    sent.append(session.transition(0, server_ts_ns=None))

    previous = {"querySet": 0, "identity": 0, "ts": "AAAAAAAAAAA="}
    answered: set[int] = set()
    for message in sent:
        assert message["startVersion"] == previous
        end = message["endVersion"]
        assert end["querySet"] >= previous["querySet"]
        assert end["identity"] >= previous["identity"]
        assert decode_ts(end["ts"]) >= decode_ts(previous["ts"])
        ids = [m["queryId"] for m in message["modifications"]]
        assert len(ids) == len(set(ids))
        for m in message["modifications"]:
            if m["type"] == "QueryRemoved":
                answered.discard(m["queryId"])
            else:
                answered.add(m["queryId"])
        previous = end
    assert previous["querySet"] == version
    assert previous["identity"] == identity_seen
    assert answered == set(session.queries)
