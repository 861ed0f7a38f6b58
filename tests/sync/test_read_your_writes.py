"""Read-your-writes and version chaining as properties of the session, with no event loop.

Whatever order query results, mutation completions, authentication and
"results are current through ts" answers arrive in, the messages a session
sends satisfy: Transitions chain and never go back in time; after a
MutationResponse at ts T every later Transition ends at T or after; a
Transition is sent only when the results are current through its end ts; and
once everything has settled, the last thing sent is a Transition covering
every answered mutation.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from session_driver import add, authenticate, connected, modify, mutation, remove, send

from convexlite.sync import (
    MutationResponse,
    QueryUpdated,
    RunMutation,
    Send,
    ServerMessage,
    SessionAction,
    StateVersion,
    Transition,
)


class Driver:
    """Plays the transport: carries out actions, answers currency from a switch."""

    def __init__(self) -> None:
        self.session = connected()
        self.sent: list[ServerMessage] = []
        self.version = 0
        self.identity = 0
        self.requests = 0
        self.running: int | None = None
        self.current = True

    def perform(self, actions: list[SessionAction]) -> None:
        for action in actions:
            if isinstance(action, Send):
                self.sent.append(action.message)
            elif isinstance(action, RunMutation):
                assert self.running is None, "one mutation at a time"
                self.running = action.request_id
                self.session.mutation_started(action.request_id, f"run-{action.request_id}")

    def modify(self, mod: dict[str, Any]) -> None:
        actions = modify(self.session, self.version, self.version + 1, mod)
        assert not self.session.closed
        self.version += 1
        self.perform(actions)

    def complete(self, ts: int | None) -> None:
        if self.running is None:
            return
        request_id, self.running = self.running, None
        if ts is None:
            response = MutationResponse(request_id, False, "boom", None)
        else:
            response = MutationResponse(request_id, True, None, ts)
        self.perform(self.session.mutation_completed(request_id, response))

    def transition(self, latest_ts: int) -> None:
        asked: list[int] = []

        def current_through(ts: int) -> bool:
            asked.append(ts)
            return self.current

        transition = self.session.next_transition(current_through, latest_ts=latest_ts)
        if transition is not None:
            assert asked == [transition.end_version.ts] and self.current
            self.sent.append(transition)


ts = st.integers(0, 1000)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 4)),
        st.tuples(st.just("remove"), st.integers(0, 4)),
        st.tuples(st.just("result"), st.integers(0, 4), st.integers(0, 3), ts),
        st.tuples(st.just("mutate")),
        st.tuples(st.just("complete"), st.none() | ts),
        st.tuples(st.just("current"), st.booleans()),
        st.tuples(st.just("auth")),
        st.tuples(st.just("transition"), ts),
    ),
    max_size=80,
)


def run(ops: list[tuple[Any, ...]]) -> Driver:
    driver = Driver()
    session = driver.session
    for op in ops:
        kind = op[0]
        if kind == "add" and op[1] not in session.queries:
            driver.modify(add(op[1]))
        elif kind == "remove" and op[1] in session.queries:
            driver.modify(remove(op[1]))
        elif kind == "result" and op[1] in session.queries:
            session.query_result(op[1], QueryUpdated(op[1], op[2]), op[3])
        elif kind == "mutate":
            driver.perform(send(session, mutation(driver.requests)))
            driver.requests += 1
        elif kind == "complete":
            driver.complete(op[1])
        elif kind == "current":
            driver.current = op[1]
        elif kind == "auth":
            driver.perform(send(session, authenticate(session.received_identity)))
            driver.identity += 1
        elif kind == "transition":
            driver.transition(op[1])
    # Everything settles: every run ends, every query has a result, results are current.
    while driver.running is not None:
        driver.complete(0)
    for query_id in session.queries:
        session.query_result(query_id, QueryUpdated(query_id, "final"), 0)
    driver.current = True
    driver.transition(0)
    return driver


@settings(max_examples=400, deadline=None)
@given(operations)
def test_read_your_writes_and_chaining(ops: list[tuple[Any, ...]]) -> None:
    driver = run(ops)
    previous = StateVersion(0, 0, 0)
    must_reach = 0
    responses: list[int] = []
    for message in driver.sent:
        if isinstance(message, MutationResponse):
            responses.append(message.request_id)
            if message.ts is not None:
                must_reach = max(must_reach, message.ts)
        elif isinstance(message, Transition):
            end = message.end_version
            assert message.start_version == previous
            assert end.ts >= previous.ts
            assert end.query_set >= previous.query_set and end.identity >= previous.identity
            assert end.ts >= must_reach, "a Transition went back before an answered mutation"
            previous = end
    assert responses == list(range(driver.requests)), "every mutation answered once, in order"
    if responses:
        assert isinstance(driver.sent[-1], Transition), "a covering Transition is owed"
        assert previous.ts >= must_reach
    assert previous.query_set == driver.version
    assert previous.identity == driver.identity


@settings(max_examples=300, deadline=None)
@given(operations)
def test_every_query_is_answered_and_never_twice_in_one_transition(
    ops: list[tuple[Any, ...]],
) -> None:
    driver = run(ops)
    answered: dict[int, Any] = {}
    for message in driver.sent:
        if not isinstance(message, Transition):
            continue
        ids = [m.query_id for m in message.modifications]
        assert ids == sorted(set(ids))
        for m in message.modifications:
            if isinstance(m, QueryUpdated):
                answered[m.query_id] = m.value
            else:
                answered.pop(m.query_id, None)
    assert answered == {query_id: "final" for query_id in driver.session.queries}
