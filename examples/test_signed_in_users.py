"""Testing signed-in users: a real token through the HTTP API, and `with_identity` in tests."""

import httpx
import pytest
from signed_in_users import app, sign

from convexlite import Backend


@pytest.fixture
def convex_app():
    return app


def test_with_identity_stands_in_for_a_token(convex):
    assert convex.query("users:me") is None
    ada = convex.with_identity({"subject": "user-1", "name": "Ada"})
    assert ada.query("users:me") == {"subject": "user-1", "name": "Ada"}


async def test_a_bearer_token_signs_the_request_in():
    async with Backend(app, "memory:") as backend:
        transport = httpx.ASGITransport(app=backend.asgi())
        async with httpx.AsyncClient(transport=transport, base_url="http://local") as client:
            body = {"path": "users:me", "args": {}, "format": "json"}
            signed = await client.post(
                "/api/query", json=body, headers={"Authorization": f"Bearer {sign('u2', 'Bo')}"}
            )
            assert signed.json()["value"] == {"subject": "u2", "name": "Bo"}
            forged = await client.post(
                "/api/query", json=body, headers={"Authorization": "Bearer not.a.jwt"}
            )
            assert forged.status_code == 401
