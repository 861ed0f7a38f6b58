"""The Settings page's own endpoints: minting an admin key (refused to a read-only key, the
new key accepted by `/api/check_admin_key`) and the storage and retention status."""

from __future__ import annotations

from convexlite.auth.keys import issue_admin_key

MINT = "/api/dashboard/admin_key"
SEND = {"path": "messages:send", "args": {"author": "ada", "body": "hi"}}


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Convex {key}"}


async def test_a_minted_key_works_and_a_read_only_key_mints_none(served) -> None:
    c = served.client
    minted = await c.post(MINT, json={}, headers=served.admin)
    assert minted.status_code == 200, minted.text
    assert minted.headers["cache-control"] == "no-store"
    key = minted.json()["adminKey"]
    assert key != served.admin_key
    checked = await c.get("/api/check_admin_key", headers=_auth(key))
    assert checked.status_code == 200 and not checked.json().get("isReadOnly")

    read_only = (await c.post(MINT, json={"readOnly": True}, headers=_auth(key))).json()
    checked = await c.get("/api/check_admin_key", headers=_auth(read_only["adminKey"]))
    assert checked.json()["isReadOnly"] is True

    refused = await c.post(MINT, json={}, headers=_auth(read_only["adminKey"]))
    assert refused.status_code == 403
    assert refused.json()["code"] == "BadDeployKey"
    assert (await c.post(MINT, json={})).json()["code"] == "MissingAdminKey"
    bad = await c.post(MINT, json={"readOnly": "yes"}, headers=served.admin)
    assert bad.status_code == 400 and bad.json()["code"] == "BadJsonBody"


async def test_storage_status_reports_retention(served) -> None:
    c = served.client
    read_only = issue_admin_key(
        served.backend.instance_name, served.backend.instance_secret, read_only=True
    )
    before = (await c.get("/api/dashboard/storage", headers=_auth(read_only))).json()
    assert before["retention"]["delaySeconds"] == 172_800
    passes = before["retention"]["passes"]  # the engine's service may have run one

    await c.post("/api/mutation", json=SEND)
    await c.post("/api/mutation", json={**SEND, "args": {"author": "b", "body": "again"}})
    db = served.backend._engine.db
    db.run_retention(0)
    status = (await c.get("/api/dashboard/storage", headers=served.admin)).json()
    retention = status["retention"]
    assert retention["passes"] >= passes + 1
    assert retention["lastPass"]["finishedMs"] > 0
    assert retention["lastPass"]["documentsDeleted"] >= 0
    assert retention["floorMs"] == db.latest_ts // 1_000_000
    assert status["storeBytes"] is None or status["storeBytes"] > 0
    assert (await c.get("/api/dashboard/storage")).status_code == 401
