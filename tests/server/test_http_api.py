"""The HTTP API of spec/protocol.md §3 through an ASGI transport."""

from __future__ import annotations

import base64
import importlib.metadata
import json
import re

import pytest

from convexlite.auth.keys import generate_instance_secret, issue_admin_key

SEND = {"path": "messages:send", "args": {"author": "ada", "body": "hi"}}
ERROR_MESSAGE = re.compile(r"^\[Request ID: [0-9a-f]{16}\] Server Error\n(?P<text>.*)\n$", re.S)


def error_text(body: dict) -> str:
    assert body["status"] == "error"
    match = ERROR_MESSAGE.match(body["errorMessage"])
    assert match, body["errorMessage"]
    return match["text"]


async def test_meta_routes(served):
    c = served.client
    assert (await c.get("/")).text.startswith("This Convex deployment is running.")
    assert (await c.get("/instance_name")).text == "convex-self-hosted"
    assert (await c.get("/version")).status_code == 200
    assert (await c.get("/version")).text == importlib.metadata.version("convexlite")
    assert (await c.get("/instance_version")).text == (await c.get("/version")).text
    assert (await c.post("/echo", content=b"abc")).content == b"abc"


async def test_mutation_then_query_with_log_lines(served):
    c = served.client
    sent = (await c.post("/api/mutation", json=SEND)).json()
    assert sent["status"] == "success" and isinstance(sent["value"], str)
    assert sent["logLines"] == ["[LOG] 'sending hi'"]
    listed = (await c.post("/api/query", json={"path": "messages:list", "args": [{}]})).json()
    assert [m["body"] for m in listed["value"]] == ["hi"]
    assert "logLines" not in listed


async def test_path_forms_are_canonicalized(served):
    for path in ["values:echo", "values.js:echo"]:
        body = (await served.client.post("/api/query", json={"path": path, "args": {}})).json()
        assert body == {"status": "success", "value": {}}


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("convex_encoded_json", {"n": {"$integer": "BwAAAAAAAAA="}, "b": {"$bytes": "AQI="}}),
        ("json", {"n": "7", "b": "AQI="}),
        ("export_json", {"n": 7, "b": {"$bytes": "AQI="}}),
        (None, {"n": "7", "b": "AQI="}),
    ],
)
async def test_formats(served, fmt, expected):
    args = {"n": {"$integer": "BwAAAAAAAAA="}, "b": {"$bytes": "AQI="}}
    body = {"path": "values:echo", "args": [args]}
    if fmt is not None:
        body["format"] = fmt
    result = (await served.client.post("/api/query", json=body)).json()
    assert result["value"] == expected


async def test_non_finite_floats_in_clean_json(served):
    args = {"x": {"$float": "AAAAAAAA+H8="}}
    body = {"path": "values:echo", "args": args, "format": "json"}
    assert (await served.client.post("/api/query", json=body)).json()["value"] == {"x": "NaN"}


async def test_bad_format(served):
    response = await served.client.post("/api/query", json={**SEND, "format": "xml"})
    assert response.status_code == 400
    assert response.json() == {
        "code": "BadFormat",
        "message": "format param must be one of [`json`]. Got xml",
    }


async def test_function_errors_are_200(served):
    c = served.client
    failed = (await c.post("/api/mutation", json={"path": "messages:fail", "args": {}})).json()
    assert error_text(failed).startswith("Uncaught ConvexError: ")
    assert failed["errorData"] == {"code": 1.0, "big": "7"}
    encoded = {"path": "messages:fail", "args": {}, "format": "convex_encoded_json"}
    failed = (await c.post("/api/mutation", json=encoded)).json()
    assert failed["errorData"]["big"] == {"$integer": "BwAAAAAAAAA="}
    boom = (await c.post("/api/query", json={"path": "messages:boom", "args": {}})).json()
    assert error_text(boom) == "Uncaught ValueError: boom" and "errorData" not in boom


async def test_request_id_header_is_used(served):
    response = await served.client.post(
        "/api/query",
        json={"path": "messages:boom", "args": {}},
        headers={"convex-request-id": "0123456789abcdef"},
    )
    assert response.json()["errorMessage"].startswith("[Request ID: 0123456789abcdef] ")


async def test_wrong_kind_and_argument_errors(served):
    c = served.client
    wrong = (await c.post("/api/query", json=SEND)).json()
    assert error_text(wrong) == (
        "Trying to execute messages.js:send as Query, but it is defined as Mutation."
    )
    invalid = (await c.post("/api/mutation", json={"path": "messages:send", "args": {}})).json()
    assert error_text(invalid).startswith("ArgumentValidationError: ")
    two = (await c.post("/api/query", json={"path": "values:echo", "args": [{}, {}]})).json()
    assert error_text(two).startswith("Expected to receive a single object")


async def test_unknown_and_internal_functions(served):
    c = served.client
    missing = (await c.post("/api/query", json={"path": "x:y", "args": {}})).json()
    assert error_text(missing) == "Could not find public function for 'x:y'."
    internal = {"path": "admin:count", "args": {}}
    hidden = (await c.post("/api/query", json=internal)).json()
    assert error_text(hidden) == "Could not find public function for 'admin:count'."
    allowed = (await c.post("/api/query", json=internal, headers=served.admin)).json()
    assert allowed == {"status": "success", "value": 0.0}


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"{not json", {"content-type": "application/json"}, 400, "BadJsonBody"),
        (json.dumps(SEND).encode(), {"content-type": "text/plain"}, 400, "BadJsonBody"),
        (b'{"path": "messages:list"}', {"content-type": "application/json"}, 400, "BadJsonBody"),
        (
            b'{"path": "bad path:x", "args": {}}',
            {"content-type": "application/json"},
            400,
            "BadConvexFunctionIdentifier",
        ),
        (b"{}", {"content-type": "application/json", "authorization": "x"}, 400, None),
        (
            json.dumps(SEND).encode(),
            {"content-type": "application/json", "authorization": "Basic abcdef"},
            400,
            "InvalidAdminKey",
        ),
        (
            json.dumps(SEND).encode(),
            {"content-type": "application/json", "authorization": "Convex nope|00"},
            401,
            "BadAdminKey",
        ),
        (
            json.dumps(SEND).encode(),
            {"content-type": "application/json", "authorization": "Bearer eyJ.x.y"},
            401,
            "InvalidAuthHeader",  # not a JWT; a JWT no provider takes is NoAuthProvider
        ),
    ],
)
async def test_request_errors(served, body, headers, status, code):
    response = await served.client.post("/api/mutation", content=body, headers=headers)
    assert response.status_code == status
    payload = response.json()
    assert set(payload) == {"code", "message"}
    assert payload["code"] == (code or "InvalidHeaderFailure")


async def test_bad_path_message(served):
    response = await served.client.post("/api/mutation", json={"path": "bad path:x", "args": {}})
    assert response.json()["message"].startswith(
        "bad path:x is not a valid path to a Convex function."
    )


async def test_any_function_endpoint_requires_admin(served):
    c = served.client
    denied = await c.post("/api/function", json=SEND)
    assert denied.status_code == 403 and denied.json()["code"] == "BadDeployKey"
    ran = (await c.post("/api/function", json=SEND, headers=served.admin)).json()
    assert ran["status"] == "success"
    internal = {"path": "admin:count", "args": {}}
    assert (await c.post("/api/function", json=internal, headers=served.admin)).json() == {
        "status": "success",
        "value": 1.0,
    }
    action = {"path": "actions:shout", "args": {"text": "a"}}
    shouted = (await c.post("/api/function", json=action, headers=served.admin)).json()
    assert shouted["value"] == "A (1)"
    unknown = {"path": "x:y", "args": {}}
    missing = await c.post("/api/function", json=unknown, headers=served.admin)
    assert error_text(missing.json()) == (
        "Could not find function for 'x:y'. Did you forget to run `npx convex dev`?"
    )


async def test_every_endpoint_shares_one_visibility_rule(served):
    """Admins reach internal and system functions on every endpoint; nobody else does."""
    c = served.client
    spec = {"path": "_system/cli/modules:apiSpec", "args": {}}
    listed = (await c.post("/api/function", json=spec, headers=served.admin)).json()
    assert "messages.js:send" in {fn["identifier"] for fn in listed["value"]}
    as_query = (await c.post("/api/query", json=spec, headers=served.admin)).json()
    assert as_query["value"] == listed["value"]
    by_url = (await c.post("/api/run/_system/cli/modules/apiSpec", json={"args": {}})).json()
    assert error_text(by_url).startswith("Could not find function for '_system/cli/modules:")
    for path in ("/api/query", "/api/query_at_ts"):
        body = {**spec, "ts": (await c.post("/api/query_ts")).json()["ts"]}
        hidden = (await c.post(path, json=body)).json()
        assert error_text(hidden).startswith("Could not find public function")
    at_ts = {"path": "admin:count", "args": {}, "ts": (await c.post("/api/query_ts")).json()["ts"]}
    admin_at = (await c.post("/api/query_at_ts", json=at_ts, headers=served.admin)).json()
    assert admin_at["status"] == "success"


async def test_query_at_a_future_or_malformed_timestamp(served):
    c = served.client
    future = base64.b64encode((2**62).to_bytes(8, "little")).decode()
    body = {"path": "messages:list", "args": {}, "ts": future}
    response = await c.post("/api/query_at_ts", json=body)
    assert response.status_code == 400 and response.json()["code"] == "InvalidTimestamp"
    response = await c.post("/api/query_at_ts", json={**body, "ts": "nope"})
    assert response.status_code == 400 and response.json()["code"] == "BadJsonBody"


async def test_acting_as_user(served):
    identity = base64.b64encode(json.dumps({"issuer": "https://i", "subject": "u1"}).encode())
    headers = {"Authorization": f"Convex {served.admin_key}:{identity.decode()}"}
    ran = await served.client.post("/api/function", json=SEND, headers=headers)
    assert ran.json()["status"] == "success"
    bad = await served.client.post(
        "/api/function", json=SEND, headers={"Authorization": f"Convex {served.admin_key}:!!"}
    )
    assert bad.status_code == 400 and bad.json()["code"] == "HeaderParseFailure"


async def test_run_by_url(served):
    c = served.client
    await c.post("/api/mutation", json=SEND)
    listed = (await c.post("/api/run/messages/list", json={"args": {}})).json()
    assert [m["body"] for m in listed["value"]] == ["hi"]
    short = await c.post("/api/run/messages", json={"args": {}})
    assert short.status_code == 400 and short.json()["code"] == "MissingIdentifier"
    hidden = (await c.post("/api/run/admin/count", json={"args": {}})).json()
    assert error_text(hidden).startswith("Could not find function for 'admin:count'.")


async def test_query_ts_and_query_at_ts(served):
    c = served.client
    await c.post("/api/mutation", json=SEND)
    ts = (await c.post("/api/query_ts")).json()["ts"]
    assert len(base64.b64decode(ts)) == 8
    await c.post("/api/mutation", json={**SEND, "args": {"author": "b", "body": "later"}})
    at = {"path": "messages:list", "args": [{}], "ts": ts}
    snapshot = (await c.post("/api/query_at_ts", json=at)).json()
    assert [m["body"] for m in snapshot["value"]] == ["hi"]


async def test_query_batch(served):
    queries = [{"path": "values:echo", "args": {}}, {"path": "x:y", "args": {}}]
    results = (await served.client.post("/api/query_batch", json={"queries": queries})).json()
    assert [r["status"] for r in results["results"]] == ["success", "error"]


async def test_check_admin_key(served):
    c = served.client
    ok = await c.get("/api/check_admin_key", headers=served.admin)
    assert ok.json() == {"success": True, "allowedOps": [], "isReadOnly": False}
    via_query = await c.get("/api/check_admin_key", params={"adminKey": served.admin_key})
    assert via_query.status_code == 200
    name, secret = served.backend.instance_name, served.backend.instance_secret
    read_only = issue_admin_key(name, secret, read_only=True)
    ro = (await c.get("/api/check_admin_key", params={"adminKey": read_only})).json()
    assert ro["isReadOnly"] is True and "ViewData" in ro["allowedOps"]
    system = issue_admin_key(name, secret, system=True)
    assert (await c.get("/api/check_admin_key", params={"adminKey": system})).status_code == 403
    assert (await c.get("/api/check_admin_key")).json()["code"] == "BadDeployKey"
    foreign = issue_admin_key(name, generate_instance_secret())
    bad = await c.get("/api/check_admin_key", params={"adminKey": foreign})
    assert bad.status_code == 401 and bad.json() == {
        "code": "BadAdminKey",
        "message": "The provided admin key was invalid for this instance",
    }


async def test_cors(served):
    c = served.client
    preflight = await c.options(
        "/api/query",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,convex-client",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert preflight.headers["access-control-allow-headers"] == "content-type,convex-client"
    assert preflight.headers["access-control-max-age"] == "86400"
    assert "PATCH" in preflight.headers["access-control-allow-methods"]
    simple = await c.post("/api/query", json=SEND, headers={"Origin": "https://app.example"})
    assert simple.headers["access-control-allow-origin"] == "https://app.example"
    assert simple.headers["access-control-allow-credentials"] == "true"
    action = await c.get("/http/hello", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in action.headers


async def test_http_actions_on_both_origins(served):
    main = await served.client.get("/http/hello?x=1")
    assert (main.status_code, main.text) == (200, "hello /hello 0")
    site = await served.site.get("/hello")
    assert site.text == "hello /hello 0"
    head = await served.site.head("/hello")
    assert head.status_code == 200
    prefixed = await served.site.post("/echo/a/b?q=1", headers={"x-forwarded-proto": "https"})
    assert prefixed.json() == {"path": "/echo/a/b", "query": "q=1"}
    missing = await served.site.get("/nowhere")
    assert (missing.status_code, missing.text) == (404, "No matching routes found")
    assert (await served.site.get("/version")).status_code == 200


async def test_http_action_errors(served):
    failed = await served.site.get("/fail", headers={"convex-request-id": "00000000000000aa"})
    assert failed.status_code == 500
    assert failed.json() == {
        "code": "[Request ID: 00000000000000aa] Server Error: Uncaught ConvexError: nope",
        "trace": "Uncaught ConvexError: nope",
        "data": "nope",
    }


async def test_app_without_http_actions():
    import httpx

    from convexlite import App, Backend
    from convexlite.server.app import create_app
    from convexlite.server.state import ServerState

    async with Backend(App()) as backend:
        transport = httpx.ASGITransport(app=create_app(ServerState(backend)))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/http/anything")
    assert response.status_code == 404
    assert response.text == "This Convex deployment does not have HTTP actions enabled."
