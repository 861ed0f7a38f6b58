"""The security properties of the HTTP surface, in process (see docs/security.md): CORS as
upstream on the API and none on the dashboard, redaction of function errors and logs with
`redact_logs`, uploaded files that cannot act as pages of the API's (and dashboard's)
origin, and admin endpoints that refuse callers without a key or with a read-only one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from convexlite import App, Backend, ConvexError
from convexlite.auth.keys import issue_admin_key

app = App()


@app.query(name="s:boom", args={})
def boom(ctx, args):
    raise ValueError("internal detail of the deployment")


@app.mutation(name="s:chatty", args={})
def chatty(ctx, args):
    print("a log line for the operator")
    return 1


@app.mutation(name="s:refuse", args={})
def refuse(ctx, args):
    raise ConvexError({"reason": "for the client"})


@app.action(name="s:store")
async def store(ctx, args):
    return await ctx.storage.store(args["data"], args["type"])


@app.query(name="s:url")
def url(ctx, args):
    return ctx.storage.get_url(args["id"])


@app.http_action(path="/fail", method="GET")
async def http_fail(ctx, request: Request) -> Response:
    raise RuntimeError("internal detail of an HTTP action")


ORIGIN = "https://app.example"


async def _client(redact: bool) -> AsyncIterator[tuple[Backend, httpx.AsyncClient]]:
    async with Backend(app) as backend:
        transport = httpx.ASGITransport(app=backend.asgi(redact_logs=redact))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield backend, c


@pytest.fixture
async def plain():
    async for pair in _client(redact=False):
        yield pair


@pytest.fixture
async def redacted():
    async for pair in _client(redact=True):
        yield pair


def admin(backend: Backend, *, read_only: bool = False) -> dict[str, str]:
    key = issue_admin_key(backend.instance_name, backend.instance_secret, read_only=read_only)
    return {"Authorization": f"Convex {key}"}


async def test_cors_on_the_api_as_upstream_and_none_on_the_dashboard(plain) -> None:
    _, c = plain
    preflight_headers = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,authorization",
    }
    for path in ("/api/query", "/api/storage/upload", "/api/update_environment_variables"):
        preflight = await c.options(path, headers=preflight_headers)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        assert preflight.headers["access-control-allow-credentials"] == "true"
        assert (
            preflight.headers["access-control-allow-methods"] == "GET,POST,OPTIONS,PATCH,DELETE,PUT"
        )
        assert preflight.headers["access-control-allow-headers"] == "content-type,authorization"
        assert preflight.headers["access-control-max-age"] == "86400"
    simple = await c.get("/version", headers={"Origin": ORIGIN})
    assert simple.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-origin" not in (await c.get("/version")).headers
    for path in ("/dashboard/login", "/dashboard/", "/http/fail"):
        preflight = await c.options(path, headers=preflight_headers)
        assert "access-control-allow-origin" not in preflight.headers, path
    login = await c.post("/dashboard/login", json={"token": "x"}, headers={"Origin": ORIGIN})
    assert login.status_code == 401 and "access-control-allow-origin" not in login.headers


async def test_echo_is_never_a_page_of_this_origin(plain) -> None:
    _, c = plain
    page = b"<script>sessionStorage</script>"
    echoed = await c.post("/echo", content=page, headers={"Content-Type": "text/plain"})
    assert echoed.content == page and echoed.headers["x-content-type-options"] == "nosniff"


async def test_errors_and_logs_reach_clients_only_without_redaction(plain, redacted) -> None:
    for (_, c), redact in ((plain, False), (redacted, True)):
        failed = (await c.post("/api/query", json={"path": "s:boom", "args": {}})).json()
        assert failed["status"] == "error"
        head = failed["errorMessage"].split("\n")[0]
        assert head.startswith("[Request ID: ") and head.endswith("] Server Error")
        shown = "internal detail of the deployment" in failed["errorMessage"]
        assert shown is not redact
        logged = (await c.post("/api/mutation", json={"path": "s:chatty", "args": {}})).json()
        assert ("logLines" in logged) is not redact
        refused = (await c.post("/api/mutation", json={"path": "s:refuse", "args": {}})).json()
        assert refused["errorData"] == {"reason": "for the client"}
        action = await c.get("/http/fail")
        assert action.status_code == 500
        assert ("internal detail of an HTTP action" in action.text) is not redact


async def test_an_uploaded_page_gets_an_origin_of_its_own(plain) -> None:
    backend, c = plain
    kinds = {
        "text/html; charset=utf-8": True,
        "image/svg+xml": True,
        "application/xhtml+xml": True,
        "image/png": False,
        "application/pdf": False,
    }
    for content_type, sandboxed in kinds.items():
        file_id = await backend.action("s:store", {"data": b"<p>x</p>", "type": content_type})
        file_url = await backend.query("s:url", {"id": file_id})
        answer = await c.get(httpx.URL(file_url).path)
        assert answer.status_code == 200 and answer.headers["content-type"] == content_type
        assert answer.headers["x-content-type-options"] == "nosniff"
        policy = answer.headers.get("content-security-policy", "")
        assert policy.startswith("sandbox ") is sandboxed, content_type
        assert "allow-same-origin" not in policy


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/update_environment_variables", {"changes": []}),
        ("POST", "/api/delete_tables", {"tableNames": []}),
        ("POST", "/api/cancel_all_jobs", {}),
        ("POST", "/api/dashboard/admin_key", {"readOnly": False}),
        ("POST", "/api/v1/pause_deployment", {}),
        ("POST", "/api/deploy2/start_push", {}),
        ("POST", "/api/perform_import", {"importId": "x"}),
        ("POST", "/api/export/request/zip", {}),
    ],
)
async def test_writes_need_a_key_that_may_write(plain, method, path, body) -> None:
    backend, c = plain
    anonymous = await c.request(method, path, json=body)
    assert anonymous.status_code == 401, anonymous.text
    read_only = await c.request(method, path, json=body, headers=admin(backend, read_only=True))
    assert read_only.status_code in (401, 403), read_only.text


@pytest.mark.parametrize(
    "path", ["/api/list_environment_variables", "/api/shapes2", "/api/stream_function_logs"]
)
async def test_reads_need_a_key(plain, path) -> None:
    _, c = plain
    assert (await c.get(path)).status_code == 401


async def test_a_read_only_key_reads_but_cannot_edit_through_system_functions(plain) -> None:
    backend, c = plain
    add = {"path": "_system/frontend/addDocument", "args": {"table": "t", "documents": [{"a": 1}]}}
    listed = {"path": "_system/frontend/getTableMapping", "args": {}}
    refused = await c.post("/api/mutation", json=add, headers=admin(backend, read_only=True))
    assert refused.json()["status"] == "error"
    assert "read-only" in refused.json()["errorMessage"]
    allowed = await c.post("/api/mutation", json=add, headers=admin(backend))
    assert allowed.json()["status"] == "success", allowed.text
    read = await c.post("/api/query", json=listed, headers=admin(backend, read_only=True))
    assert read.json()["status"] == "success", read.text
    user = await c.post("/api/mutation", json={"path": "s:chatty", "args": {}},
                        headers=admin(backend, read_only=True))  # fmt: skip
    assert user.json()["status"] == "success"  # user functions are not restricted (upstream)
