"""Secrets compared, stored and named safely (see docs/security.md): no `==` on a secret,
admin keys refused before costly decryption, legacy envelopes authenticated before they are
decrypted, a new SQLite store private to its owner, hostile instance names refused or
quoted, credentials cut from access-log lines, and the dashboard's files never followed
through a symlink."""

from __future__ import annotations

import ast
import logging
import os
import re
import stat
from pathlib import Path

import httpx
import pytest

import convexlite
from convexlite.auth import keys, secretbox
from convexlite.auth.keys import AdminKeyError, generate_instance_secret, parse_admin_key
from convexlite.config import Config
from convexlite.errors import ConvexBackendError
from convexlite.persistence import StoreOpenError, open_persistence
from convexlite.persistence.mysql.connection import database_name as mysql_database
from convexlite.persistence.sqlite import SqlitePersistence
from convexlite.server.access_log import RedactCredentials, redact_query
from convexlite.server.dashboard import app as dashboard_app
from convexlite.server.dashboard.login import LoginTokens

SOURCE = Path(convexlite.__file__).parent
SECRET_NAME = re.compile(r"(^|_)(secret|token|mac|signature|digest|password|admin_key)s?$", re.I)
COMPARED_ON_PURPOSE = {
    ("engine.py", "secret"),  # whether the configured secret must be persisted, not a check
}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def test_no_secret_is_compared_with_eq() -> None:
    """Secrets are checked by an AEAD, a signature check or `hmac.compare_digest`; an `==`
    would leak by timing how much of a guess is right."""
    found = []
    for path in SOURCE.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare):
                continue
            if not any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
                continue
            for operand in (node.left, *node.comparators):
                name = _name(operand)
                where = (str(path.relative_to(SOURCE)), name)
                if name and SECRET_NAME.search(name) and where not in COMPARED_ON_PURPOSE:
                    found.append(f"{where[0]}:{node.lineno} {name}")
    assert found == []


def test_a_login_token_is_looked_up_not_compared() -> None:
    """A token is found by a hash lookup: a guess never meets a stored token in `==` unless
    their (randomly keyed) hashes collide, and then it is the token."""
    tokens = LoginTokens()
    token = tokens.mint("the-key")
    assert tokens.redeem(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert tokens.redeem(token) == "the-key"


def test_an_oversized_admin_key_is_refused_before_decryption(monkeypatch) -> None:
    def opened(*args: object) -> bytes:
        raise AssertionError("an oversized key reached the legacy decryption")

    monkeypatch.setattr(keys, "secretbox_open", opened)
    huge = "convex-self-hosted|01" + "ab" * 100_000
    with pytest.raises(AdminKeyError):
        parse_admin_key(huge, "convex-self-hosted", generate_instance_secret())


def test_a_forged_legacy_envelope_is_not_decrypted(monkeypatch) -> None:
    lengths: list[int] = []
    stream = secretbox._salsa20_stream

    def recorded(key: bytes, nonce: bytes, length: int) -> bytes:
        lengths.append(length)
        return stream(key, nonce, length)

    monkeypatch.setattr(secretbox, "_salsa20_stream", recorded)
    with pytest.raises(ValueError, match="authentication failed"):
        secretbox.secretbox_open(bytes(16 + 900), bytes(24), bytes(32))
    assert lengths == [32]  # only the MAC key


def test_a_new_sqlite_store_is_private(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with SqlitePersistence(str(path)) as store:
        store.write([], [], {"instance_secret": "00" * 32})
        created = [p for p in tmp_path.iterdir() if p.name.startswith("store.db")]
        modes = {p.name: stat.S_IMODE(os.stat(p).st_mode) for p in created}
    assert modes["store.db"] == 0o600
    assert all(mode & 0o077 == 0 for name, mode in modes.items() if name != "store.db.lock")
    shared = tmp_path / "shared.db"
    shared.touch(mode=0o640)
    os.chmod(shared, 0o640)
    SqlitePersistence(str(shared)).close()
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o640  # an operator's choice is kept


HOSTILE_NAMES = ["x`; DROP DATABASE mysql; --", "name\n", "../x", "a" * 65, "x' OR '1'='1"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_instance_name_gives_no_mysql_database(name: str) -> None:
    with pytest.raises(StoreOpenError, match="usable MySQL database name"):
        mysql_database(name)


def test_a_hostile_instance_name_is_quoted_for_postgres() -> None:
    name = 'x"; DROP DATABASE postgres; --'
    try:
        store = open_persistence(
            "postgres://postgres@127.0.0.1:5432", instance_name=name, require_ssl=False
        )
    except StoreOpenError as exc:
        assert 'run: CREATE DATABASE "x""; DROP DATABASE postgres; __";' in exc.message
    else:
        store.close()
        pytest.fail("a database with that name exists")


def test_credentials_are_cut_from_access_log_lines() -> None:
    assert redact_query("/api/export/zip/1?adminKey=name|01ab&x=1") == (
        "/api/export/zip/1?adminKey=<redacted>&x=1"
    )
    assert redact_query("/api/storage/upload?token=abc") == "/api/storage/upload?token=<redacted>"
    assert redact_query("/x?%61dminKey=k") == "/x?%61dminKey=<redacted>"
    assert redact_query("/x?tokenType=User") == "/x?tokenType=User"
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/api/check_admin_key?adminKey=secret-key", "1.1", 200), None,
    )  # fmt: skip
    assert RedactCredentials().filter(record)
    assert "secret-key" not in record.getMessage()


async def test_the_dashboard_follows_no_symlink(tmp_path: Path, monkeypatch) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("instance secret")
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<p>dashboard</p>")
    (static / "leak.txt").symlink_to(outside)
    (static / "up").symlink_to(tmp_path, target_is_directory=True)
    monkeypatch.setattr(dashboard_app, "STATIC", static)
    asgi = dashboard_app.create_dashboard_app(LoginTokens())
    transport = httpx.ASGITransport(app=asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/index.html")).text == "<p>dashboard</p>"
        for path in ("/leak.txt", "/up/outside.txt"):
            answer = await http.get(path)
            assert answer.status_code == 404 and "instance secret" not in answer.text, path


def test_settings_do_not_show_their_secrets() -> None:
    secret = generate_instance_secret()
    config = Config.from_env({"INSTANCE_SECRET": secret, "POSTGRES_URL": "postgres://u:hunter2@h"})
    assert config.instance_secret == secret and "hunter2" in config.store_url
    assert secret not in repr(config) and "hunter2" not in repr(config)


@pytest.mark.parametrize(
    "url",
    [
        "postgres://u:hunter2@127.0.0.1:1",
        "mysql://u:hunter2@127.0.0.1:1",
        "postgres://u:hunter2@127.0.0.1:5432/db",
        "mysql://u:hunter2@127.0.0.1:3306/db",
        "postgres://u:hunter2@127.0.0.1:5432?bogus=1",
        "mysql://u:hunter2@127.0.0.1:3306?bogus=1",
        "mysql://nobody:hunter2@127.0.0.1:3306",
    ],
)
def test_a_store_url_password_is_never_shown(url: str) -> None:
    with pytest.raises(ConvexBackendError) as refused:
        open_persistence(url, require_ssl=False)
    assert "hunter2" not in str(refused.value)
