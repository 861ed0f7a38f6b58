"""The request id a client is shown is the one the function log carries: an HTTP call's (its
`[Request ID: …]`), and a WebSocket request's derived id (spec/protocol.md §4.2), so the
log stream's `sessionId` + `clientRequestCounter` filter finds that request's execution, as
the official dashboard's function runner expects (operator.md §2.3). An action's calls are
executions of the same request with the action as their parent, and the filter keeps only
the request's root execution, as upstream's does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from served import Served
from websockets.sync.client import connect

from convexlite.auth.keys import generate_instance_secret, issue_admin_key

SECRET = generate_instance_secret()
SESSION = "5b2d1c9e-0f3a-4e6b-8c7d-9a1b2c3d4e5f"
APP = """
from convexlite import App, ConvexError, v

app = App()

@app.mutation(name="notes:add", args={"body": v.string()})
def add(ctx, args):
    print("adding", args["body"])
    if args["body"] == "bad":
        raise ConvexError("refused")
    ctx.db.insert("notes", args)

@app.action(name="notes:twice", args={"body": v.string()})
async def twice(ctx, args):
    await ctx.run_mutation("notes:add", args)
    await ctx.run_mutation("notes:add", args)
"""


@pytest.fixture
def served(tmp_path: Path):
    (tmp_path / "ids_app.py").write_text(APP)
    server = Served(tmp_path, "--app", "ids_app:app", env={"INSTANCE_SECRET": SECRET})
    try:
        yield server
    finally:
        server.stop()


def _logs(served: Served, query: str = "") -> list[dict]:
    key = issue_admin_key("convex-self-hosted", SECRET)
    answer = httpx.get(
        f"{served.url}/api/app_metrics/stream_function_logs?cursor=0{query}",
        headers={"Authorization": f"Convex {key}", "Convex-Client": "dashboard-0.0.0"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["entries"]


def test_a_websocket_requests_logs_are_found_by_its_session_and_counter(served: Served) -> None:
    url = served.url.replace("http://", "ws://") + "/api/1.48.0/sync"
    with connect(url) as ws:
        ws.send(json.dumps({"type": "Connect", "sessionId": SESSION, "connectionCount": 0}))
        for request_id, (udf, body) in enumerate(
            [("notes:add", "one"), ("notes:add", "two"), ("notes:twice", "three")]
        ):
            ws.send(
                json.dumps(
                    {
                        "type": "Mutation" if udf == "notes:add" else "Action",
                        "requestId": request_id,
                        "udfPath": udf,
                        "args": [{"body": body}],
                    }
                )
            )
            while json.loads(ws.recv(timeout=10))["type"] not in (
                "MutationResponse",
                "ActionResponse",
            ):
                pass

    def only(counter: int) -> list[dict]:
        return _logs(served, f"&sessionId={SESSION}&clientRequestCounter={counter}")

    second = only(1)
    assert [e["kind"] for e in second] == ["Completion"]
    assert second[0]["identifier"] == "notes:add"
    assert [line["messages"] for line in second[0]["logLines"]] == [["'adding two'"]]
    action = only(2)
    assert [(e["kind"], e["identifier"]) for e in action] == [("Completion", "notes:twice")]
    # its two mutations are executions of their own in the same request, children of the
    # action's execution (the dashboard's request tree), left out of the filtered stream
    nested = [e for e in _logs(served) if e["identifier"] == "notes:add"][2:]
    assert [(e["requestId"], e["parentExecutionId"], e["caller"]) for e in nested] == [
        (action[0]["requestId"], action[0]["executionId"], "Action")
    ] * 2
    assert len({e["executionId"] for e in nested}) == 2
    assert action[0]["parentExecutionId"] is None
    assert only(7) == []


def test_an_http_calls_error_shows_the_id_its_log_entry_carries(served: Served) -> None:
    failed = httpx.post(
        f"{served.url}/api/mutation", json={"path": "notes:add", "args": {"body": "bad"}}
    ).json()
    assert failed["status"] == "error"
    shown = re.search(r"\[Request ID: ([0-9a-f]+)\]", failed["errorMessage"])
    assert shown, failed
    [entry] = [e for e in _logs(served) if e["kind"] == "Completion"]
    assert entry["requestId"] == shown[1] and entry["error"]
