from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "clients"))

from client_app import app  # noqa: E402

from convexlite import Backend  # noqa: E402
from convexlite.auth.keys import issue_admin_key  # noqa: E402
from convexlite.server.app import create_app, create_site_app  # noqa: E402
from convexlite.server.state import ServerState  # noqa: E402


class Served:
    def __init__(self, backend: Backend, client: httpx.AsyncClient, site: httpx.AsyncClient):
        self.backend = backend
        self.client = client
        self.site = site
        self.admin_key = issue_admin_key(backend.instance_name, backend.instance_secret)

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Convex {self.admin_key}"}


@pytest.fixture
async def served():
    async with Backend(app) as backend:
        state = ServerState(backend)
        main = httpx.ASGITransport(app=create_app(state))
        site = httpx.ASGITransport(app=create_site_app(state))
        async with (
            httpx.AsyncClient(transport=main, base_url="http://testserver") as client,
            httpx.AsyncClient(transport=site, base_url="http://site") as site_client,
        ):
            yield Served(backend, client, site_client)
