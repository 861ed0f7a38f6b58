"""Testing file storage: stored bytes come back, listed files have URLs, deleted ones go."""

import httpx
import pytest
from file_storage import app

from convexlite import Backend


@pytest.fixture
def convex_app():
    return app


def test_store_list_and_delete(convex):
    stored = convex.action("files:save", {"text": "hi"})
    [listed] = convex.query("files:list")
    assert listed["id"] == stored and listed["size"] == 2
    assert listed["url"].split("/api/storage/")[1]
    convex.mutation("files:remove", {"id": stored})
    assert convex.query("files:list") == []


async def test_a_client_uploads_to_a_generated_url():
    async with Backend(app, "memory:") as backend:
        transport = httpx.ASGITransport(app=backend.asgi())
        async with httpx.AsyncClient(transport=transport, base_url="http://local") as client:
            url = await backend.mutation("files:uploadUrl", {})
            path = "/" + url.split("://", 1)[1].split("/", 1)[1]
            uploaded = await client.post(path, content=b"from a client")
            storage_id = uploaded.json()["storageId"]
            [listed] = await backend.query("files:list", {})
            assert listed["id"] == storage_id and listed["size"] == 13
