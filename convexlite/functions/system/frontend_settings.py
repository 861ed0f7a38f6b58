"""The dashboard's Settings pages and the cloud dashboard's extras (spec/operator.md §2.10,
§2.11, §3.1, §3.2): auth providers, log sinks, exports, imports and the Node.js version.

The pushed deployment is stored in convexlite's own rows (`deploy/store.py`): `_auth`
holds one row with the pushed `providers` list, which `listAuthProviders` turns into
upstream's one document per provider after the Python app's own (`App(auth_providers=)`),
the custom JWT `algorithm` JSON-quoted as upstream stores it; `_deployment.nodeVersion`
is the `node:version`. convexlite has no log streams, so `listConfiguredSinks` is always
empty, and an export may always include file storage.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from convexlite.auth.providers import parse_providers
from convexlite.functions.definitions import FunctionDefinition
from convexlite.functions.environment import Environment
from convexlite.functions.system import exports, imports
from convexlite.functions.system.defining import query

AUTH = "_auth"
DEPLOYMENT = "_deployment"


def _stored(env: Environment, table: str) -> dict[str, Any] | None:
    """The one row of a table a push writes, None before the first push."""
    assert env.db is not None
    return next(env.db.tx.rows(table, prefetch=1), None)


def _auth_providers(env: Environment, app: Sequence[Any]) -> list[dict[str, Any]]:
    row = _stored(env, AUTH)
    pushed = json.loads(row["providers"]) if row is not None else []
    documents = []
    for provider in parse_providers([*app, *pushed]):
        document = provider.stored()
        if "algorithm" in document:
            document["algorithm"] = json.dumps(document["algorithm"])
        documents.append(document)
    return documents


def _node_version(env: Environment, args: Any) -> str | None:
    row = _stored(env, DEPLOYMENT)
    return None if row is None else row.get("nodeVersion")


def _latest_export(env: Environment, args: Any) -> dict[str, Any] | None:
    assert env.db is not None
    return exports.latest(env.db.tx)


def definitions(app_auth_providers: Callable[[], Sequence[Any]]) -> list[FunctionDefinition]:
    """`app_auth_providers`: the Python app's providers, listed before the pushed ones (the
    order tokens are checked in)."""

    def auth_providers(env: Environment, args: Any) -> list[dict[str, Any]]:
        return _auth_providers(env, app_auth_providers())

    return [
        query("_system/frontend/listAuthProviders:default", auth_providers, {}),
        query("_system/frontend/listConfiguredSinks:default", lambda env, args: [], {}),
        query("_system/frontend/latestExport:default", _latest_export, {}),
        query("_system/frontend/latestExport:canExportFileStorage", lambda env, args: True, {}),
        query("_system/frontend/snapshotImport:list", imports.newest, {}),
        query("_system/frontend/node:version", _node_version, {}),
    ]
