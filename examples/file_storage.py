"""File storage in a Python app: an action stores bytes, a query lists the files with their
URLs, a mutation deletes one (its bytes go once the deletion is committed).

Run it: `python examples/file_storage.py`. Its tests: examples/test_file_storage.py. A
browser or any HTTP client uploads with `POST <ctx.storage.generate_upload_url()>` instead.
"""

from __future__ import annotations

import asyncio

from convexlite import App, Backend, v

app = App()


@app.action(name="files:save", args={"text": v.string()})
async def save(ctx, args):
    return await ctx.storage.store(args["text"].encode(), "text/plain")


@app.mutation(name="files:uploadUrl")
def upload_url(ctx, args):
    return ctx.storage.generate_upload_url()


@app.query(name="files:list")
def list_files(ctx, args):
    return [
        {"id": f["_id"], "size": f["size"], "url": ctx.storage.get_url(f["_id"])}
        for f in ctx.db.system.query("_storage").collect()
    ]


@app.mutation(name="files:remove", args={"id": v.id("_storage")})
def remove(ctx, args):
    ctx.storage.delete(args["id"])


async def main() -> None:
    async with Backend(app, "memory:") as backend:
        await backend.action("files:save", {"text": "hello, files"})
        for file in await backend.query("files:list", {}):
            print(file["size"], "bytes at", file["url"])


if __name__ == "__main__":
    asyncio.run(main())
