"""The Functions page's module list for a Python app: its functions, internal ones marked, and
its HTTP routes as `"METHOD /path"` pseudo-functions of `http.js`, as a push lists a
`convex/http.js` router."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.responses import PlainTextResponse

from convexlite import App, Backend, v
from convexlite.auth.keys import issue_admin_key
from convexlite.server.app import create_app
from convexlite.server.state import ServerState

app = App()


@app.internal_mutation(name="jobs:tick", args={"n": v.int64()})
def tick(ctx, args):
    return None


@app.http_action(method="POST", path="/hook")
def hook(ctx, request):
    return PlainTextResponse("ok")


@app.http_action(method="GET", path_prefix="/files/")
def files(ctx, request):
    return PlainTextResponse("ok")


async def modules() -> Any:
    async with Backend(app) as backend:
        key = issue_admin_key(backend.instance_name, backend.instance_secret)
        transport = httpx.ASGITransport(app=create_app(ServerState(backend)))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answer = await client.post(
                "/api/query",
                json={"path": "_system/frontend/modules:listForAllComponents", "args": {}},
                headers={"Authorization": f"Convex {key}"},
            )
    body = answer.json()
    assert body["status"] == "success", body
    return body["value"]


async def test_a_python_apps_routes_are_listed_in_http_js() -> None:
    [[root, listed]] = await modules()
    assert root is None
    by_path = {path: module["functions"] for path, module in listed}
    assert by_path == {
        "http.js": [
            {"name": "POST /hook", "udfType": "HttpAction", "visibility": {"kind": "public"}},
            {"name": "GET /files/", "udfType": "HttpAction", "visibility": {"kind": "public"}},
        ],
        "jobs.js": [
            {"name": "tick", "udfType": "Mutation", "visibility": {"kind": "internal"}},
        ],
    }
