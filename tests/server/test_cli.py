"""The `convexlite` command's key tools and app loading."""

from __future__ import annotations

import pytest

from convexlite import SyncBackend
from convexlite.auth.keys import check_admin_key
from convexlite.cli import load_app, main


def test_generate_secret(capsys):
    assert main(["generate-secret"]) == 0
    secret = capsys.readouterr().out.strip()
    assert len(bytes.fromhex(secret)) == 32


def test_generate_key_from_secret(capsys, monkeypatch):
    monkeypatch.delenv("INSTANCE_SECRET", raising=False)
    secret = "ab" * 32
    assert main(["generate-key", "--instance-name", "demo", "--secret", secret]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("demo|") and check_admin_key(key, "demo", secret)


def test_generate_key_reads_the_stored_secret(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("INSTANCE_SECRET", raising=False)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with SyncBackend(load_app("client_app:app"), url) as backend:
        secret = backend.engine.instance_secret
    assert main(["generate-key", "--db", url]) == 0
    assert check_admin_key(capsys.readouterr().out.strip(), "convex-self-hosted", secret)


def test_bad_secret_is_reported(capsys):
    assert main(["generate-key", "--secret", "abcd"]) == 2
    assert "Hex-decoded key was 2 bytes, not 32" in capsys.readouterr().err


def test_instance_secret_env_wins_and_persists(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with SyncBackend(load_app("client_app:app"), url) as backend:
        generated = backend.engine.instance_secret
    with SyncBackend(load_app("client_app:app"), url) as backend:
        assert backend.engine.instance_secret == generated
    monkeypatch.setenv("INSTANCE_SECRET", "cd" * 32)
    with SyncBackend(load_app("client_app:app"), url) as backend:
        assert backend.engine.instance_secret == "cd" * 32


def test_load_app_rejects_non_apps():
    with pytest.raises(SystemExit, match="not a convexlite App"):
        load_app("client_app:hello")


async def test_served_housekeeping_stops_as_soon_as_asked(monkeypatch):
    """uvicorn's housekeeping loop ticks once a second, but a stop wakes it at once."""
    import asyncio

    import uvicorn

    from convexlite import cli

    monkeypatch.setattr(cli, "TICK_S", 3600.0)
    servers = [cli._Server(uvicorn.Config(app=None, lifespan="off")) for _ in range(2)]
    loops = [asyncio.ensure_future(server.main_loop()) for server in servers]
    await asyncio.sleep(0.05)
    assert not any(loop.done() for loop in loops)
    assert all(s.server_state.default_headers for s in servers)  # the Date header is kept
    cli._stop(servers)
    await asyncio.wait_for(asyncio.gather(*loops), 2)


def test_storage_dir_option_and_upstreams_name_for_it():
    from convexlite.cli import _parser

    assert _parser().parse_args(["serve", "--storage-dir", "d"]).storage_dir == "d"
    assert _parser().parse_args(["serve", "--local-storage", "d"]).storage_dir == "d"


def test_serve_refuses_storage_of_the_other_kind(capsys, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with SyncBackend(load_app("client_app:app"), url):
        pass  # initialized with local storage
    for use_case in ("FILES", "MODULES", "SEARCH", "EXPORTS", "SNAPSHOT_IMPORTS"):
        monkeypatch.setenv(f"S3_STORAGE_{use_case}_BUCKET", "bucket")
    assert main(["serve", "--db", url, "--port", "0", "--site-port", "0"]) == 2
    assert "initialized with local storage" in capsys.readouterr().err
