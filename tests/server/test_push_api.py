"""The push endpoints over HTTP (spec/functions.md §1.1, §1.4) through an ASGI transport."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import brotli
import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "deploy"))

from fake_analyzer import MESSAGES, FakeAnalyzer, hash_of, module, push_body  # noqa: E402

from convexlite import App, Backend  # noqa: E402
from convexlite.auth.keys import issue_admin_key  # noqa: E402
from convexlite.server.app import create_app  # noqa: E402
from convexlite.server.state import ServerState  # noqa: E402

PREFIX = "Hit an error while pushing:\n"


class Pusher:
    def __init__(self, backend: Backend, client: httpx.AsyncClient) -> None:
        self.backend = backend
        self.client = client
        self.key = issue_admin_key(backend.instance_name, backend.instance_secret)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Convex {self.key}", "Convex-Client": "npm-cli-1.48.0"}

    async def post(self, path: str, body: dict, *, encoding: str | None = "br", headers=None):
        raw = json.dumps(body).encode()
        sent = dict(self.auth if headers is None else headers)
        sent["Content-Type"] = "application/json"
        if encoding == "br":
            raw = brotli.compress(raw, quality=4, mode=brotli.MODE_TEXT)
            sent["Content-Encoding"] = "br"
        elif encoding == "gzip":
            raw = gzip.compress(raw)
            sent["Content-Encoding"] = "gzip"
        return await self.client.post(path, content=raw, headers=sent)


@pytest.fixture
async def pusher():
    async with Backend(App(), analyzer=FakeAnalyzer()) as backend:
        state = ServerState(
            backend, cloud_origin="http://cloud.test:3210", site_origin="http://site.test:3211"
        )
        transport = httpx.ASGITransport(app=create_app(state))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Pusher(backend, client)


async def test_deploy_sequence_with_brotli_bodies(pusher):
    hashes = await pusher.post("/api/get_config_hashes", {"version": "1.48.0"}, encoding=None)
    assert hashes.status_code == 200 and hashes.json()["moduleHashes"] == []
    body = push_body([MESSAGES])
    evaluated = await pusher.post("/api/deploy2/evaluate_schema", body)
    assert evaluated.status_code == 200
    assert evaluated.json()["componentSchemaEvaluations"][""]["tables"] == []
    started = await pusher.post("/api/deploy2/start_push", body)
    assert started.status_code == 200, started.text
    start = started.json()
    waited = await pusher.post(
        "/api/deploy2/wait_for_schema",
        {"schemaChange": start["schemaChange"], "timeoutMs": 10000, "dryRun": False},
        encoding=None,
    )
    assert waited.json() == {"type": "complete"}
    finished = await pusher.post(
        "/api/deploy2/finish_push", {"startPush": start, "dryRun": False, "message": None}
    )
    assert finished.status_code == 200
    assert finished.json()["componentDiffs"][""]["moduleDiff"]["added"] == ["messages.js"]
    reported = await pusher.post("/api/deploy2/report_push_completed", {"spans": []}, encoding=None)
    assert reported.status_code == 200 and reported.json() is None
    hashes = await pusher.post("/api/get_config_hashes", {}, encoding="gzip")
    assert hashes.json()["moduleHashes"] == [
        {"path": "messages.js", "hash": hash_of(MESSAGES), "environment": "isolate"}
    ]
    assert pusher.backend.engine.pushed is not None


async def test_admin_key_in_the_body(pusher):
    body = {"version": "1.48.0", "adminKey": pusher.key}
    answered = await pusher.post("/api/get_config_hashes", body, headers={})
    assert answered.status_code == 200
    missing = await pusher.post("/api/get_config_hashes", {"version": "1.48.0"}, headers={})
    assert missing.status_code == 401 and missing.json()["code"] == "MissingAdminKey"
    bad = await pusher.post("/api/get_config_hashes", {"adminKey": "nope|00"}, headers={})
    assert bad.status_code == 401 and bad.json()["code"] == "BadAdminKey"
    wrong = await pusher.post(
        "/api/deploy2/start_push", push_body([MESSAGES]), headers={"Authorization": "Convex x|00"}
    )
    assert wrong.status_code == 401 and set(wrong.json()) == {"code", "message"}


async def test_read_only_keys_cannot_push(pusher):
    backend = pusher.backend
    key = issue_admin_key(backend.instance_name, backend.instance_secret, read_only=True)
    answered = await pusher.post(
        "/api/deploy2/start_push", push_body([MESSAGES], admin_key=key), headers={}
    )
    assert answered.status_code == 403 and answered.json()["code"] == "BadDeployKey"


async def test_refusals_carry_code_status_and_prefix(pusher, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no Node.js for the node module
    node = module("nodeStuff.js", None, '"use node";', env="node")
    refused = await pusher.post("/api/deploy2/start_push", push_body([MESSAGES, node]))
    assert refused.status_code == 400
    assert refused.json()["code"] == "NodeActionsNotSupported"
    assert (
        refused.json()["message"].startswith(PREFIX) and "nodeStuff.js" in refused.json()["message"]
    )
    stale = [{"path": "messages.js", "environment": "isolate", "sha256": "0" * 64}]
    conflict = await pusher.post("/api/deploy2/start_push", push_body([], unchanged=stale))
    assert conflict.status_code == 409 and conflict.json()["code"] == "MissingExistingModule"
    malformed = await pusher.post("/api/deploy2/start_push", {"dryRun": False})
    assert malformed.status_code == 400 and malformed.json()["code"] == "InvalidConfig"
    not_json = await pusher.client.post(
        "/api/deploy2/start_push", content=b"{", headers=pusher.auth
    )
    assert not_json.status_code == 400 and not_json.json()["code"] == "BadJsonBody"
    broken = await pusher.client.post(
        "/api/deploy2/start_push",
        content=b"not brotli at all",
        headers={**pusher.auth, "Content-Encoding": "br"},
    )
    assert broken.status_code == 400 and broken.json()["code"] == "BadRequestBody"


async def test_canonical_urls_and_unknown_routes(pusher):
    urls = await pusher.client.get("/api/v1/get_canonical_urls", headers=pusher.auth)
    assert urls.json() == {
        "convexCloudUrl": "http://cloud.test:3210",
        "convexSiteUrl": "http://site.test:3211",
    }
    anonymous = await pusher.client.get("/api/v1/get_canonical_urls")
    assert anonymous.status_code == 401
    unknown = await pusher.client.post("/api/deploy2/something_new", headers=pusher.auth)
    assert unknown.status_code == 404 and unknown.json()["code"] == "NotFound"
    assert (await pusher.client.get("/api/v1/whatever")).status_code == 404


async def test_a_module_v8_cannot_compile_gets_a_clear_400_naming_it():
    broken = module("broken.js", None, "const = 1;\nexport {};")
    async with Backend(App()) as backend:
        transport = httpx.ASGITransport(app=create_app(ServerState(backend)))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            pusher = Pusher(backend, client)
            answered = await pusher.post("/api/deploy2/start_push", push_body([broken]))
            hashes = await pusher.post("/api/get_config_hashes", {})
    assert answered.status_code == 400
    assert answered.json()["code"] == "InvalidModules"
    assert answered.json()["message"].startswith(PREFIX)
    assert "broken.js:1" in answered.json()["message"]
    assert hashes.json()["moduleHashes"] == []
