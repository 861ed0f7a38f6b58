"""The official HTTP clients against a live server: PyPI `convex` and npm `convex@1.48.0`."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from convex import ConvexError as ClientConvexError
from convex.http_client import ConvexHttpClient


def test_python_http_client(live_server):
    client = ConvexHttpClient(live_server.url)
    message_id = client.mutation("messages:send", {"author": "ada", "body": "hi"})
    assert isinstance(message_id, str)
    assert [m["body"] for m in client.query("messages:list")] == ["hi"]
    assert client.action("actions:shout", {"text": "yo"}) == "YO (1)"

    with pytest.raises(ClientConvexError) as failed:
        client.mutation("messages:fail", {"code": 3})
    # This legacy client hands errorData over still in its wire encoding.
    assert failed.value.data == {"code": 3.0, "big": {"$integer": "BwAAAAAAAAA="}}

    with pytest.raises(Exception, match="Could not find public function for 'admin:count'"):
        client.query("admin:count")
    client.set_admin_auth(live_server.admin_key)
    assert client.query("admin:count") == 1

    client.set_admin_auth("convex-self-hosted|00")
    with pytest.raises(Exception, match="401 BadAdminKey: The provided admin key was invalid"):
        client.query("messages:list")


NODE_SCRIPT = """
import { ConvexHttpClient } from "convex/browser";
import { ConvexError } from "convex/values";
const [url, adminKey] = process.argv.slice(2);
const client = new ConvexHttpClient(url);
const out = {};
out.sent = typeof (await client.mutation("messages:send", { author: "ada", body: "hi" }));
out.listed = (await client.query("messages:list", {})).map((m) => m.body);
out.consistent = (await client.consistentQuery("messages:list", {})).length;
out.shout = await client.action("actions:shout", { text: "yo" });
try {
  await client.mutation("messages:fail", {});
} catch (e) {
  out.convexError = e instanceof ConvexError;
  out.data = { code: e.data.code, big: String(e.data.big) };
}
try {
  await client.query("admin:count", {});
} catch (e) {
  out.hidden = e.message;
}
client.setAdminAuth(adminKey);
out.count = await client.query("admin:count", {});
console.log(JSON.stringify(out));
"""


def _node(npm_convex, *args: str, env: dict[str, str] | None = None, timeout: int = 60):
    return subprocess.run(
        args,
        cwd=npm_convex,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_npm_http_client(live_server, npm_convex):
    script = npm_convex / "http_client_check.mjs"
    script.write_text(NODE_SCRIPT)
    try:
        done = _node(npm_convex, "node", str(script), live_server.url, live_server.admin_key)
    finally:
        script.unlink()
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["sent"] == "string"
    assert out["listed"] == ["hi"]
    assert out["consistent"] == 1
    assert out["shout"] == "YO (1)"
    assert out["convexError"] is True and out["data"] == {"code": 1, "big": "7"}
    assert "Could not find public function for 'admin:count'" in out["hidden"]
    assert out["count"] == 1


def test_npx_convex_run(live_server, npm_convex):
    env = {
        "CONVEX_SELF_HOSTED_URL": live_server.url,
        "CONVEX_SELF_HOSTED_ADMIN_KEY": live_server.admin_key,
        "CONVEX_DEPLOYMENT": "",
    }
    npx = ["npx", "--no-install", "convex", "run"]
    sent = _node(
        npm_convex, *npx, "messages:send", '{"author": "cli", "body": "from npx"}', env=env
    )
    assert sent.returncode == 0, sent.stderr
    counted = _node(npm_convex, *npx, "admin:count", env=env)
    assert counted.returncode == 0, counted.stderr
    assert counted.stdout.strip() == "1"
    missing = _node(npm_convex, *npx, "messages:nope", "{}", env=env)
    assert missing.returncode == 1
    assert "Could not find function" in missing.stderr
    assert "messages:send" in missing.stderr
