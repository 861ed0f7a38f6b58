"""An `auth.config.ts` that reads environment variables is evaluated again when they change
and when the backend opens (spec/platform.md §2.1); a change that would make it invalid is
refused and changes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from auth_support import IssuerServer, SigningKey, claims
from cryptography.hazmat.primitives.asymmetric import rsa
from npm_clients import npm_clients

from convexlite import ConvexBackendError, SyncBackend

PROJECT = Path(__file__).parent.parent / "push" / "projects" / "env_auth"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> dict:
    project = tmp_path_factory.mktemp("env-auth") / "project"
    shutil.copytree(PROJECT, project)
    (project / "node_modules").symlink_to(npm_clients("the env auth project") / "node_modules")
    with SyncBackend("memory:") as scratch:
        return scratch.bundle(project)


def test_the_auth_config_follows_its_variables(bundle, tmp_path) -> None:
    server = IssuerServer()
    key = SigningKey("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048), None)
    server.serve_keys(key.jwk())
    token = key.sign(claims(server.url, sub="u1"))
    url = f"sqlite:///{tmp_path / 'store.db'}"
    try:
        with SyncBackend(url) as backend:
            backend.set_environment_variables({"ISSUER_URL": "https://first.example.com"})
            backend.deploy_bundle(bundle)
            with pytest.raises(ConvexBackendError) as refused:
                backend._on_loop(backend._served().authenticate_user(token))
            assert refused.value.code == "NoAuthProvider"
            backend.set_environment_variables({"ISSUER_URL": server.url})
            caller = backend._on_loop(backend._served().authenticate_user(token))
            assert caller.identity["subject"] == "u1"
            with pytest.raises(ConvexBackendError) as invalid:
                backend.set_environment_variables({"ISSUER_URL": '"quoted"'})
            assert "This change would make the auth config invalid" in invalid.value.message
            with pytest.raises(ConvexBackendError) as unset:
                backend.set_environment_variables({"ISSUER_URL": None})
            assert "ISSUER_URL is used in auth config file" in unset.value.message
            assert backend.environment_variables() == {"ISSUER_URL": server.url}
        with SyncBackend(url) as reopened:
            caller = reopened._on_loop(reopened._served().authenticate_user(token))
            assert caller.identity["tokenIdentifier"] == f"{server.url}|u1"
    finally:
        server.close()
