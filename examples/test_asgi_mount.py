"""The mounted backend answers Convex's HTTP API under its prefix."""

import httpx
from asgi_mount import app, backend


async def test_mounted_under_prefix():
    async with backend:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            added = await client.post(
                "/convex/api/mutation", json={"path": "notes:add", "args": {"text": "hi"}}
            )
            assert added.json()["status"] == "success"
            listed = await client.post("/convex/api/run/notes/list", json={"args": {}})
            assert [n["text"] for n in listed.json()["value"]] == ["hi"]
            assert (await client.get("/health")).json() == {"ok": True, "notes": 1}
            assert (await client.get("/convex/instance_name")).text == "convex-self-hosted"
            preflight = await client.options(
                "/convex/api/query",
                headers={"Origin": "https://x.example", "Access-Control-Request-Method": "POST"},
            )
            assert preflight.headers["access-control-allow-origin"] == "https://x.example"
