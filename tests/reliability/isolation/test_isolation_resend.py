"""A mutation the npm client re-sends after a reconnect runs once (spec/protocol.md §2.7):
the client re-sends, with its session id and request id, every mutation it has not seen
released, including ones the server already committed and answered. Found by the isolation
runs: across a server restart the answer was forgotten and the mutation ran again; each one
is now recorded in `_session_requests` with its commit (functions/session_requests.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from convex.http_client import ConvexHttpClient
from served import Served
from websockets.sync.client import connect

HERE = Path(__file__).parent
SESSION = "8c1f4a52-6d0e-4b7a-9f3c-2e5d7a1b9c04"
APPEND = [["append", "k", 1]]


def _serve(tmp_path: Path) -> Served:
    env = {"PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    db = f"sqlite:///{tmp_path / 'store.db'}"
    return Served(tmp_path, "--app", "isolation.app:app", "--db", db, env=env)


def _send_append(served: Served, connection_count: int) -> dict:
    """Connect as the npm client does (same session on every connection) and send the
    mutation as request 0; returns the server's MutationResponse."""
    with connect(served.url.replace("http://", "ws://") + "/api/sync") as ws:
        reason = "InitialConnect" if connection_count == 0 else "closed with code 1006"
        connect_message = {"sessionId": SESSION, "connectionCount": connection_count}
        ws.send(json.dumps({"type": "Connect", **connect_message, "lastCloseReason": reason}))
        mutation = {"requestId": 0, "udfPath": "la:txn", "args": [{"mops": APPEND}]}
        ws.send(json.dumps({"type": "Mutation", **mutation}))
        while True:
            message = json.loads(ws.recv(timeout=20))
            if message["type"] == "MutationResponse":
                return message


def _list(served: Served) -> list[float]:
    [[_, _, elements]] = ConvexHttpClient(served.url).mutation(
        "la:txn", {"mops": [["r", "k", None]]}
    )
    return elements


def test_a_mutation_resent_on_a_new_connection_runs_once(tmp_path: Path) -> None:
    served = _serve(tmp_path)
    try:
        first = _send_append(served, 0)
        again = _send_append(served, 1)
        assert again == first
        assert _list(served) == [1]
    finally:
        served.stop()


def test_a_mutation_resent_after_a_server_restart_runs_once(tmp_path: Path) -> None:
    served = _serve(tmp_path)
    try:
        first = _send_append(served, 0)
    finally:
        served.stop()
    served = _serve(tmp_path)
    try:
        again = _send_append(served, 1)
        elements = _list(served)
    finally:
        served.stop()
    assert again["ts"] == first["ts"]
    assert elements == [1]
