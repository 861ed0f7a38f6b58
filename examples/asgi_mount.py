"""Mounting convexlite inside an existing Starlette (or FastAPI) app.

The Convex HTTP API, sync WebSocket and HTTP actions live under `/convex`;
point a client at `http://host:port/convex`. The parent's lifespan owns the
backend, so it is closed when the server stops.

Run with `uvicorn examples.asgi_mount:app`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from convexlite import App, Backend, v

convex_app = App()


@convex_app.query(name="notes:list", args={})
def list_notes(ctx, args):
    return ctx.db.query("notes").collect()


@convex_app.mutation(name="notes:add", args={"text": v.string()})
def add_note(ctx, args):
    return ctx.db.insert("notes", args)


backend = Backend(convex_app, "memory:")


async def health(request: Request) -> JSONResponse:
    """A route of the parent app, calling the embedded backend directly."""
    return JSONResponse({"ok": True, "notes": len(await backend.query("notes:list", {}))})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    async with backend:
        yield


app = Starlette(
    routes=[Route("/health", health), Mount("/convex", backend.asgi())],
    lifespan=lifespan,
)
