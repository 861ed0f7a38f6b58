"""`ctx.storage` in Python functions, on an embedded backend (spec/platform.md §4.5): store
and get in actions (bytes and files), URLs and metadata in queries, deletion with the
transaction, uploads through the mounted ASGI app, and the orphan sweep."""

from __future__ import annotations

import base64
import hashlib
import io
import time

import httpx
import pytest

from convexlite import App, Backend, ConvexBackendError, ConvexError, SyncBackend, v

app = App()


@app.action(name="files:store")
async def store(ctx, args):
    return await ctx.storage.store(args["data"], args.get("type"))


@app.action(name="files:storeFile")
def store_file(ctx, args):
    return ctx.storage.store(io.BytesIO(args["data"]), "application/octet-stream")


@app.action(name="files:get")
async def get(ctx, args):
    found = await ctx.storage.get(args["id"])
    return None if found is None else {"data": found.data, "type": found.content_type}


@app.query(name="files:url")
def url(ctx, args):
    return ctx.storage.get_url(args["id"])


@app.query(name="files:metadata")
def metadata(ctx, args):
    return ctx.storage.get_metadata(args["id"])


@app.query(name="files:doc", args={"id": v.id("_storage")})
def doc(ctx, args):
    return ctx.db.system.get(args["id"])


@app.mutation(name="files:delete")
def delete(ctx, args):
    ctx.storage.delete(args["id"])
    if args.get("fail"):
        raise ConvexError("undo")


@app.mutation(name="files:uploadUrl")
def upload_url(ctx, args):
    return ctx.storage.generate_upload_url()


def blob_keys(backend: SyncBackend | Backend) -> set[str]:
    return set(backend.engine.blobs.files.keys())


def test_actions_store_and_get_bytes_and_files() -> None:
    with SyncBackend(app, "memory:") as backend:
        first = backend.action("files:store", {"data": b"hello", "type": "text/plain"})
        second = backend.action("files:storeFile", {"data": b"\x00\x01"})
        assert backend.action("files:get", {"id": first}) == {
            "data": b"hello",
            "type": "text/plain",
        }
        assert backend.action("files:get", {"id": second})["data"] == b"\x00\x01"
        document = backend.query("files:doc", {"id": first})
        assert document["size"] == 5 and document["contentType"] == "text/plain"
        assert document["sha256"] == base64.b64encode(hashlib.sha256(b"hello").digest()).decode()
        meta = backend.query("files:metadata", {"id": first})
        assert meta["sha256"] == hashlib.sha256(b"hello").hexdigest()
        assert backend.query("files:url", {"id": first}).endswith(
            "/api/storage/" + meta["storageId"]
        )


def test_delete_takes_the_bytes_only_when_it_commits() -> None:
    with SyncBackend(app, "memory:") as backend:
        stored = backend.action("files:store", {"data": b"bytes"})
        keys = blob_keys(backend)
        assert len(keys) == 1
        with pytest.raises(ConvexError):
            backend.mutation("files:delete", {"id": stored, "fail": True})
        time.sleep(0.2)
        assert blob_keys(backend) == keys
        backend.mutation("files:delete", {"id": stored})
        assert backend.query("files:url", {"id": stored}) is None
        deadline = time.monotonic() + 10
        while blob_keys(backend):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        with pytest.raises(ConvexBackendError) as missing:
            backend.mutation("files:delete", {"id": stored})
        assert missing.value.code == "StorageIdNotFound"


def test_bad_storage_ids_are_refused() -> None:
    with SyncBackend(app, "memory:") as backend:
        with pytest.raises(ConvexBackendError) as bad:
            backend.query("files:url", {"id": "nope"})
        assert bad.value.code == "InvalidStorageId"
        stored = backend.action("files:store", {"data": b"x"})
        other = backend.run(lambda ctx: ctx.db.insert("notes", {}))
        with pytest.raises(ConvexBackendError) as wrong_table:
            backend.query("files:url", {"id": other})
        assert wrong_table.value.code == "InvalidStorageId"
        assert backend.query("files:url", {"id": "4f3a1f5e-1c39-4b57-9a7a-0f0d5d2f9c11"}) is None
        assert backend.query("files:url", {"id": stored}) is not None


async def test_uploads_through_the_mounted_app_stream_into_a_file() -> None:
    async with Backend(app, "memory:") as backend:
        transport = httpx.ASGITransport(app=backend.asgi())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            url = await backend.mutation("files:uploadUrl", {})
            path = url.split("://", 1)[1].split("/", 1)[1]

            async def body():
                for _ in range(8):
                    yield b"x" * 300_000

            response = await client.post(
                f"/{path}", content=body(), headers={"content-type": "text/csv"}
            )
            assert response.status_code == 200, response.text
            storage_id = response.json()["storageId"]
            document = await backend.query("files:doc", {"id": storage_id})
            assert document["size"] == 2_400_000 and document["contentType"] == "text/csv"
            download = (await backend.query("files:url", {"id": storage_id})).split("/api/")[1]
            got = await client.get(f"/api/{download}")
            assert got.status_code == 200 and len(got.content) == 2_400_000


def test_orphaned_blobs_are_swept_when_the_backend_opens(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with SyncBackend(app, url) as backend:
        kept = backend.action("files:store", {"data": b"kept"})
        backend.engine.blobs.files.put("00000000-0000-4000-8000-000000000000", b"orphan")
        assert len(blob_keys(backend)) == 2
    with SyncBackend(app, url) as backend:
        deadline = time.monotonic() + 10
        while len(blob_keys(backend)) != 1:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert backend.action("files:get", {"id": kept})["data"] == b"kept"


@app.http_action(path="/files", method="POST")
async def http_upload(ctx, request):
    from starlette.responses import JSONResponse

    storage_id = await ctx.storage.store(await request.body(), request.headers["content-type"])
    return JSONResponse({"storageId": storage_id})


@app.http_action(path="/files", method="GET")
async def http_download(ctx, request):
    from starlette.responses import Response

    found = await ctx.storage.get(request.query_params["id"])
    return Response(found.data, media_type=found.content_type)


async def test_python_http_actions_store_and_serve_files() -> None:
    async with Backend(app, "memory:") as backend:
        transport = httpx.ASGITransport(app=backend.asgi())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            stored = await client.post(
                "/http/files", content=b"<svg/>", headers={"content-type": "image/svg+xml"}
            )
            assert stored.status_code == 200, stored.text
            back = await client.get("/http/files", params={"id": stored.json()["storageId"]})
            assert back.content == b"<svg/>"
            assert back.headers["content-type"].startswith("image/svg+xml")


async def test_a_browser_on_another_origin_may_upload() -> None:
    async with Backend(app, "memory:") as backend:
        transport = httpx.ASGITransport(app=backend.asgi())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            origin = {"Origin": "https://app.example"}
            preflight = await client.options(
                "/api/storage/upload",
                headers={
                    **origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type",
                },
            )
            assert preflight.status_code in (200, 204)
            assert preflight.headers["access-control-allow-origin"] == "https://app.example"
            assert "POST" in preflight.headers["access-control-allow-methods"]
            url = await backend.mutation("files:uploadUrl", {})
            path = "/" + url.split("://", 1)[1].split("/", 1)[1]
            posted = await client.post(path, content=b"x", headers=origin)
            assert posted.status_code == 200
            assert posted.headers["access-control-allow-origin"] == "https://app.example"
