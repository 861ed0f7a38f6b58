"""What the session decides about requests: authentication, impersonation, mutation de-dup."""

from __future__ import annotations

import json

from session_driver import SESSION, add, authenticate, connected, modify, mutation, send

from convexlite.sync import (
    ActionResponse,
    AuthError,
    AwaitMutation,
    Close,
    FatalError,
    InFlight,
    MutationMemory,
    MutationResponse,
    QueryUpdated,
    RunAction,
    RunMutation,
    Send,
    Unwatch,
    VerifyAdminKey,
    VerifyUserToken,
    Watch,
)
from convexlite.sync.session import (
    IDENTITY_EXPIRED,
    INVALID_ADMIN_KEY,
    MAX_INFLIGHT_ACTIONS,
    MAX_QUEUED_MUTATIONS,
)

# ---- authentication ---------------------------------------------------------------------------


def test_no_token_reruns_every_query_and_advances_the_identity() -> None:
    session = connected()
    modify(session, 0, 1, add(0))
    session.query_result(0, QueryUpdated(0, "before"), 5)
    session.next_transition(True, latest_ts=5)
    actions = send(session, authenticate(0))
    assert actions == [Unwatch(0), Watch(0, "messages:list", [{}], "anonymous")]
    assert session.next_transition(True, latest_ts=6) is None  # the re-run is not in yet
    session.query_result(0, QueryUpdated(0, "before"), 6)
    transition = session.next_transition(True, latest_ts=6)
    assert transition is not None and transition.end_version.identity == 1
    assert [m.value for m in transition.modifications] == ["before"]  # answered again


def test_admin_key_is_verified_by_the_transport_then_used_for_later_requests() -> None:
    session = connected()
    modify(session, 0, 1, add(0))
    impersonating = {"subject": "u1", "issuer": "https://issuer.example"}
    actions = send(
        session, authenticate(0, "Admin", value="Convex key|123", impersonating=impersonating)
    )
    assert actions == [VerifyAdminKey("key|123", impersonating)]
    assert session.received_identity == 0
    assert session.authenticated("admin as u1") == [
        Unwatch(0),
        Watch(0, "messages:list", [{}], "admin as u1"),
    ]
    assert session.received_identity == 1
    assert send(session, mutation(0)) == [
        RunMutation(0, "messages:send", [{}], None, "admin as u1")
    ]
    action = {"type": "Action", "requestId": 1, "udfPath": "a:b", "args": [{}]}
    assert send(session, action) == [RunAction(1, "a:b", [{}], None, "admin as u1")]
    assert modify(session, 1, 2, add(1)) == [Watch(1, "messages:list", [{}], "admin as u1")]


def test_refused_tokens_end_the_connection_with_an_auth_error() -> None:
    session = connected()
    assert session.admin_key_invalid() == [
        Send(AuthError(INVALID_ADMIN_KEY, 0, True)),
        Close(1000),
    ]
    assert session.closed and send(session, authenticate(0)) == []

    user = connected()
    assert send(user, authenticate(0, "User", value="eyJ.e30.sig")) == [
        VerifyUserToken("eyJ.e30.sig")
    ]
    refused = user.user_token_invalid("Could not verify OIDC token claim.")
    assert refused == [Send(AuthError("Could not verify OIDC token claim.", 0, True)), Close(1000)]
    assert AuthError("no", 0).to_json() == {
        "type": "AuthError",
        "error": "no",
        "baseVersion": 0,
        "authUpdateAttempted": True,
    }


def test_a_user_token_makes_later_requests_act_as_the_user_until_it_expires() -> None:
    session = connected()
    send(session, authenticate(0, "User", value="token"))
    assert session.authenticated("user u1", expires_ms=5_000) == []
    assert session.receive(json.dumps(mutation(0)), now_ms=4_999, latest_ts=0) == [
        RunMutation(0, "messages:send", [{}], None, "user u1")
    ]
    session.next_transition(True, latest_ts=1)
    assert not session.identity_expired_at(4_999) and session.identity_expired_at(5_000)
    action = {"type": "Action", "requestId": 1, "udfPath": "a:b", "args": [{}]}
    assert session.receive(json.dumps(action), now_ms=5_000, latest_ts=1) == [
        Send(AuthError(IDENTITY_EXPIRED, 1, False)),
        Close(1000),
    ]
    assert session.closed


def test_auth_error_carries_the_identity_version_the_client_last_saw() -> None:
    session = connected()
    send(session, authenticate(0))
    session.next_transition(True, latest_ts=1)
    send(session, authenticate(1, "Admin", value="bad"))
    assert session.admin_key_invalid()[0] == Send(AuthError(INVALID_ADMIN_KEY, 1, True))


def test_an_incomplete_impersonated_identity_is_fatal() -> None:
    session = connected()
    message = "Impersonated identities need tokenIdentifier or both issuer and subject"
    assert session.impersonation_invalid(message) == [
        Send(FatalError(message)),
        Close(1000, "", message),
    ]


def test_a_stale_identity_version_closes_1011() -> None:
    session = connected()
    [close] = send(session, authenticate(3))
    assert isinstance(close, Close) and close.code == 1011


# ---- mutations and actions -------------------------------------------------------------------


def ok(request_id: int, ts: int) -> MutationResponse:
    return MutationResponse(request_id, True, "done", ts, ("[LOG] 'x'",))


def failed(request_id: int) -> MutationResponse:
    return MutationResponse(request_id, False, "[Request ID: r] Server Error\nboom\n", None)


def test_mutations_run_one_at_a_time_in_order() -> None:
    session = connected()
    assert send(session, mutation(0)) == [RunMutation(0, "messages:send", [{}], None, "anonymous")]
    session.mutation_started(0, "run-0")
    assert send(session, mutation(1)) == []
    assert session.mutation_completed(0, ok(0, 10)) == [
        Send(ok(0, 10)),
        RunMutation(1, "messages:send", [{}], None, "anonymous"),
    ]
    assert session.required_ts == 10


def test_a_resent_mutation_waits_for_the_run_of_the_lost_connection() -> None:
    memory = MutationMemory()
    lost = connected(memory=memory)
    send(lost, mutation(7))
    lost.mutation_started(7, "run-7")
    lost.connection_lost()

    again = connected(memory=memory)
    assert send(again, mutation(7)) == [AwaitMutation(7, "run-7")]
    assert lost.mutation_completed(7, ok(7, 42)) == []  # gone, but remembered
    assert again.mutation_completed(7, ok(7, 42)) == [Send(ok(7, 42))]

    third = connected(memory=memory)
    assert send(third, mutation(7)) == [Send(ok(7, 42))]
    assert third.required_ts == 42 and memory.lookup(SESSION, 7) == ok(7, 42)


def test_failures_are_not_remembered_and_system_errors_close_1011() -> None:
    memory = MutationMemory()
    session = connected(memory=memory)
    send(session, mutation(0))
    session.mutation_started(0, "run")
    assert memory.lookup(SESSION, 0) == InFlight("run")
    assert session.mutation_completed(0, failed(0)) == [Send(failed(0))]
    assert memory.lookup(SESSION, 0) is None
    assert session.transition_owed and session.required_ts == 0

    send(session, mutation(1))
    session.mutation_started(1, "run")
    [close] = session.mutation_completed(1, None)
    assert isinstance(close, Close) and close.code == 1011
    assert memory.lookup(SESSION, 1) is None


def test_too_many_queued_mutations_close_1013() -> None:
    session = connected()
    for request_id in range(MAX_QUEUED_MUTATIONS + 1):
        assert not any(isinstance(a, Close) for a in send(session, mutation(request_id)))
    [close] = send(session, mutation(MAX_QUEUED_MUTATIONS + 1))
    assert close == Close(1013, "TooManyConcurrentMutations")


def test_too_many_running_actions_close_1013_and_finished_ones_make_room() -> None:
    session = connected()

    def action(request_id: int) -> list:
        message = {"type": "Action", "requestId": request_id, "udfPath": "a:b", "args": [{}]}
        return send(session, message)

    for request_id in range(MAX_INFLIGHT_ACTIONS):
        assert not any(isinstance(a, Close) for a in action(request_id))
    session.action_completed(ActionResponse(0, True, 1.0, ()))
    assert not any(isinstance(a, Close) for a in action(MAX_INFLIGHT_ACTIONS))
    [close] = action(MAX_INFLIGHT_ACTIONS + 1)
    assert close == Close(1013, "TooManyInflightActionsForSingleClient")


def test_an_action_response_owes_a_transition() -> None:
    session = connected()
    response = ActionResponse(3, True, 1.0, ())
    assert session.action_completed(response) == [Send(response)]
    transition = session.next_transition(True, latest_ts=9)
    assert transition is not None and transition.end_version.ts == 9
    assert session.next_transition(True, latest_ts=10) is None


def test_mutation_memory_is_bounded() -> None:
    memory = MutationMemory(capacity=2)
    for request_id in range(3):
        memory.started(SESSION, request_id, request_id)
        memory.finished(SESSION, request_id, request_id, ok(request_id, 10 + request_id))
    assert memory.lookup(SESSION, 0) is None
    assert memory.lookup(SESSION, 2) == ok(2, 12)
    assert len(memory) == 2


def test_wire_form_of_responses() -> None:
    assert ok(1, 1755820800123456789).to_json() == {
        "type": "MutationResponse",
        "requestId": 1,
        "success": True,
        "result": "done",
        "ts": "Fc2ZCLftXRg=",
        "logLines": ["[LOG] 'x'"],
    }
    error = MutationResponse(2, False, "m", None, (), {"code": 1.0}, True)
    assert error.to_json() == {
        "type": "MutationResponse",
        "requestId": 2,
        "success": False,
        "result": "m",
        "ts": None,
        "logLines": [],
        "errorData": {"code": 1.0},
    }
    assert ActionResponse(3, False, "m", ()).to_json() == {
        "type": "ActionResponse",
        "requestId": 3,
        "success": False,
        "result": "m",
        "logLines": [],
    }
