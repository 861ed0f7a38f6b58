"""The sync WebSocket of `convexlite serve` itself (its uvicorn settings, its heartbeat and
its shared encoding of results) against the npm `ConvexClient`, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from npm_clients import npm_clients
from served import Served
from websockets.sync.client import connect

APP = """
from convexlite import App, v

app = App()


@app.query(name="notes:list", args={"tag": v.string()})
def list_notes(ctx, args):
    return [n["body"] for n in ctx.db.query("notes").collect() if n["tag"] == args["tag"]]


@app.mutation(name="notes:add", args={"tag": v.string(), "body": v.string()})
def add(ctx, args):
    ctx.db.insert("notes", args)
"""

CLIENTS = """
import { createRequire } from "node:module";
const require = createRequire(process.env.CONVEX_NPM_DIR + "/");
const { ConvexClient } = require("convex/browser");
const WebSocket = require("ws");
const url = process.argv[2];
const TAGS = ["t0", "t1", "t2", "t3", "t4"];
const options = { webSocketConstructor: WebSocket, unsavedChangesWarning: false };

// Two connections, each watching the same five queries; one of them also writes.
const readers = [new ConvexClient(url, options), new ConvexClient(url, options)];
const latest = readers.map(() => ({}));
const count = (r, t) => (latest[r][t] ?? []).length;
const reached = (n) => readers.every((_, r) => TAGS.every((t) => count(r, t) === n));
let wake = () => {};
readers.forEach((c, r) => {
  for (const tag of TAGS) {
    c.onUpdate("notes:list", { tag }, (v) => {
      latest[r][tag] = v;
      wake();
    });
  }
});
const until = (pred) =>
  new Promise((resolve) => {
    wake = () => pred() && resolve();
    wake();
  });
await until(() => reached(0));
for (let i = 0; i < 3; i++) {
  const add = (tag) => readers[0].mutation("notes:add", { tag, body: `${tag}-${i}` });
  await Promise.all(TAGS.map(add));
  await until(() => reached(i + 1));
}
process.stdout.write(JSON.stringify(latest) + "\\n");
await Promise.all(readers.map((c) => c.close()));
process.exit(0);
"""


def test_two_npm_clients_with_five_subscriptions_each_see_every_write(tmp_path: Path) -> None:
    npm = npm_clients("the npm sync test of convexlite serve")
    (tmp_path / "synced_app.py").write_text(APP)
    (tmp_path / "clients.mjs").write_text(CLIENTS)
    served = Served(tmp_path, "--app", "synced_app:app")
    try:
        done = subprocess.run(
            ["node", str(tmp_path / "clients.mjs"), served.url],
            env={**os.environ, "CONVEX_NPM_DIR": str(npm)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        served.stop()
    assert done.returncode == 0, (done.stdout, done.stderr, served.output)
    first, second = json.loads(done.stdout.splitlines()[-1])
    expected = {f"t{t}": [f"t{t}-{i}" for i in range(3)] for t in range(5)}
    assert first == second == expected


def test_serve_does_not_compress_frames(tmp_path: Path) -> None:
    """No permessage-deflate (upstream offers none): a zlib context per connection costs
    memory, and compressing each frame once per connection costs CPU."""
    served = Served(tmp_path)
    try:
        url = served.url.replace("http://", "ws://") + "/api/sync"
        with connect(url, compression="deflate") as ws:
            assert "Sec-WebSocket-Extensions" not in ws.response.headers
            session = "3f0e4c2a-9b1d-4c7e-8a55-2d6f0b9e1a77"
            ws.send(json.dumps({"type": "Connect", "sessionId": session, "connectionCount": 0}))
            query_set = {"baseVersion": 0, "newVersion": 1, "modifications": []}
            ws.send(json.dumps({"type": "ModifyQuerySet", **query_set}))
            assert json.loads(ws.recv(timeout=10))["type"] == "Transition"
    finally:
        served.stop()
