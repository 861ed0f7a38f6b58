"""`/api/query_at_ts` at a timestamp retention has expired: upstream's out-of-retention
error (HTTP 503, `InternalServerError`), and the store unchanged."""

from __future__ import annotations

SEND = {"path": "messages:send", "args": {"author": "ada", "body": "hi"}}


async def test_query_at_an_expired_timestamp_is_refused_as_upstream(served) -> None:
    c = served.client
    await c.post("/api/mutation", json=SEND)
    old_ts = (await c.post("/api/query_ts")).json()["ts"]
    await c.post("/api/mutation", json={**SEND, "args": {"author": "b", "body": "later"}})
    at_old = {"path": "messages:list", "args": {}, "ts": old_ts}
    assert [m["body"] for m in (await c.post("/api/query_at_ts", json=at_old)).json()["value"]] == [
        "hi"
    ]

    db = served.backend._engine.db
    assert db.retention_stats().delay_s == 172_800  # the engine's service, as configured
    db.run_retention(0)  # keep no history at all

    refused = await c.post("/api/query_at_ts", json=at_old)
    assert refused.status_code == 503
    assert refused.json() == {
        "code": "InternalServerError",
        "message": "Your request couldn't be completed. Try again later.",
    }
    now = {**at_old, "ts": (await c.post("/api/query_ts")).json()["ts"]}
    listed = (await c.post("/api/query_at_ts", json=now)).json()["value"]
    assert [m["body"] for m in listed] == ["hi", "later"]
