"""The Settings page's system queries (spec/operator.md §2.10, §3.1, §3.2) over what a push
stores, through an engine with a fake analyzer, run as an admin."""

from __future__ import annotations

from typing import Any

import pytest
from engine_pushes import push
from fake_analyzer import MESSAGES, module, push_body

from convexlite.engine import Engine
from convexlite.errors import ConvexBackendError
from convexlite.functions.app import App

OIDC = {"applicationID": "convex", "domain": "https://issuer.example.com"}
CUSTOM_JWT = {
    "type": "customJwt",
    "applicationID": None,
    "issuer": "https://jwt.example.com",
    "jwks": "https://jwt.example.com/.well-known/jwks.json",
    "algorithm": "RS256",
}


def settings(engine: Engine, name: str, args: dict[str, Any] | None = None) -> Any:
    path = f"_system/frontend/{name}"
    return engine.runner.run_query(path, args or {}, internal_ok=True).value


def test_before_any_push(engine: Engine) -> None:
    assert settings(engine, "listAuthProviders:default") == []
    assert settings(engine, "listConfiguredSinks:default") == []
    assert settings(engine, "node:version") is None
    assert settings(engine, "latestExport:default") is None
    assert settings(engine, "latestExport:canExportFileStorage") is True
    assert settings(engine, "snapshotImport:list") == []


def test_pushed_auth_providers_and_node_version(engine: Engine) -> None:
    body = push_body([MESSAGES, module("auth.config.js", [OIDC, CUSTOM_JWT])])
    body["nodeVersion"] = "22"
    push(engine, body)
    assert settings(engine, "listAuthProviders:default") == [
        OIDC,
        {**CUSTOM_JWT, "algorithm": '"RS256"'},
    ]
    assert settings(engine, "node:version") == "22"


def test_the_python_apps_providers_come_first(engines) -> None:
    engine = engines.open(App(auth_providers=[CUSTOM_JWT]))
    assert settings(engine, "listAuthProviders:default") == [{**CUSTOM_JWT, "algorithm": '"RS256"'}]
    push(engine, push_body([MESSAGES, module("auth.config.js", [OIDC])]))
    assert settings(engine, "listAuthProviders:default") == [
        {**CUSTOM_JWT, "algorithm": '"RS256"'},
        OIDC,
    ]


def test_only_admins_and_declared_arguments(engine: Engine) -> None:
    with pytest.raises(ConvexBackendError, match="Could not find public function"):
        engine.runner.run_query("_system/frontend/listConfiguredSinks:default", {})
    with pytest.raises(ConvexBackendError, match="extra field `componentId`"):
        settings(engine, "listAuthProviders:default", {"componentId": None})
