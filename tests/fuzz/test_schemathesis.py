"""schemathesis against the ASGI app, from the OpenAPI description `openapi.py` generates
from its route table: for every operation, requests that fit the description and
requests that do not, with and without an admin key. Checks: no 5xx, and every answer
matches the description (an error is Convex's `{code, message}`, a function endpoint's
200 is a UdfResponse). The requests go through this suite's own loop (the backend lives
there), and the responses back to schemathesis for its checks."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import schemathesis
from client_app import app
from conftest import Harness, fuzz
from hypothesis import given
from hypothesis import strategies as st
from openapi import describe
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from convexlite import Backend
from convexlite.server.app import create_app
from convexlite.server.state import ServerState

SCHEMA = schemathesis.openapi.from_dict(describe(create_app(ServerState(Backend(app)))))
OPERATIONS = [op.ok() for op in SCHEMA.get_all_operations()]


@pytest.fixture(scope="module")
def served() -> Iterator[Harness]:
    harness = Harness()
    try:
        yield harness
    finally:
        harness.close()


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_operation(served: Harness, operation) -> None:
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    admin = {"Authorization": f"Convex {served.admin_key}"}

    @fuzz(6)
    @given(case=cases, as_admin=st.booleans())
    def run(case, as_admin: bool) -> None:
        sent = case.as_transport_kwargs(
            base_url="http://testserver", headers=admin if as_admin else None
        )
        body = sent.get("data")
        if "json" in sent:
            body = json.dumps(sent["json"]).encode()
        response = served.request(
            sent["method"], sent["url"], params=sent["params"], headers=sent["headers"],
            content=body,
        )  # fmt: skip
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
        assert served.errors.take() == []

    run()
