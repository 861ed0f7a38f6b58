"""Fuzz targets for convexlite's parsers: each takes bytes and returns quietly or raises.

A target decides what a correct refusal is: one of Convex's deterministic error types
(a `ConvexBackendError` whose kind is BadRequest, raised where the fault is detected)
or the parser's documented refusal (`ProtocolError`, `MalformedToken`). Anything else
escaping (a `KeyError`, a `RecursionError`, an `OverflowError`, a hang) is a finding.
The same targets run under atheris for long runs (`atheris_run.py`) and under
Hypothesis in CI (`test_parser_targets.py`); `SEEDS` gives each a few valid inputs to
mutate from.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import math
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from convexlite.auth.custom_jwt import verify_custom_jwt
from convexlite.auth.http_cache import CachingFetch
from convexlite.auth.jws import MalformedToken, parse_compact
from convexlite.auth.keys import (
    generate_instance_secret,
    issue_admin_key,
    parse_admin_key,
    split_authorization_key,
)
from convexlite.auth.providers import CustomJwtProvider
from convexlite.deploy.modules import parse_module
from convexlite.errors import ConvexBackendError
from convexlite.js.esm_rewrite import InvalidModulePath, UnsupportedModuleSyntax, rewrite_module
from convexlite.query.cursors import Cursor, CursorCodec
from convexlite.server.errors import HttpError
from convexlite.server.json_response import loads as http_json
from convexlite.server.push_api import decode_body
from convexlite.snapshots.import_sources import open_import
from convexlite.sync import SyncSession
from convexlite.values import json_codec
from convexlite.values.ids import decode_id, encode_id, new_internal_id

Target = Callable[[bytes], None]
INSTANCE = "convex-self-hosted"
SECRET = generate_instance_secret()
SESSION = "3f0e4c2a-9b1d-4c7e-8a55-2d6f0b9e1a77"


def refused(exc: BaseException) -> bool:
    """A deterministic Convex error: the right way to refuse bad input."""
    return isinstance(exc, ConvexBackendError) and exc.kind.is_deterministic


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def json_value(data: bytes) -> None:
    """Convex-encoded JSON (values/json_codec): decode, and a decoded value round-trips."""
    try:
        value = json_codec.loads(data)
    except Exception as exc:
        if refused(exc):
            return
        raise
    again = json_codec.loads(json_codec.dumpb(value))
    assert _same(again, value), (value, again)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


def http_json_body(data: bytes) -> None:
    """A request body as the HTTP API parses it (server/json_response.loads)."""
    try:
        http_json(data)
    except (ValueError, UnicodeDecodeError):
        return


def sync_message(data: bytes) -> None:
    """One frame after a Connect, as the sans-IO session takes it: never an exception;
    a refused frame closes the session and applies nothing."""
    session = SyncSession(anonymous="anonymous")
    connect = {"type": "Connect", "sessionId": SESSION, "connectionCount": 0}
    assert session.receive(json.dumps(connect), now_ms=1.0, latest_ts=10) == []
    before = (session.received_query_set, session.received_identity, dict(session.queries))
    actions = session.receive(_text(data), now_ms=2.0, latest_ts=10)
    if session.closed:
        assert actions and type(actions[-1]).__name__ == "Close", actions
        assert (session.received_query_set, session.received_identity, session.queries) == before


def sync_first_message(data: bytes) -> None:
    """Any frame as the first of a connection (a Connect, or a refusal)."""
    SyncSession(anonymous="anonymous").receive(_text(data), now_ms=2.0, latest_ts=10)


def document_id(data: bytes) -> None:
    """Document ids (values/ids): a decoded id re-encodes to itself."""
    text = _text(data)
    try:
        table, internal = decode_id(text)
    except Exception as exc:
        if refused(exc):
            return
        raise
    assert encode_id(table, internal) == text


_CURSORS = CursorCodec(b"k" * 32, INSTANCE)
_FINGERPRINT = b"f" * 8


def cursor(data: bytes) -> None:
    """Pagination cursors (query/cursors): forged or foreign cursors are InvalidCursor."""
    try:
        _CURSORS.decode(_text(data), _FINGERPRINT)
    except Exception as exc:
        if refused(exc):
            return
        raise


def admin_key(data: bytes) -> None:
    """Admin keys and the `Convex <key>[:<identity>]` header value (auth/keys)."""
    key, _ = split_authorization_key(_text(data))
    try:
        parse_admin_key(key, INSTANCE, SECRET)
    except Exception as exc:
        if refused(exc):
            return
        raise


_JWKS = (
    "data:application/json;base64,"
    + base64.b64encode(
        json.dumps(
            {
                "keys": [
                    {
                        "kty": "OKP",
                        "crv": "Ed25519",
                        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                    }
                ]
            }
        ).encode()
    ).decode()
)
_PROVIDER = CustomJwtProvider("https://issuer.example", _JWKS, "EdDSA", "convex")


async def _no_fetch(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a data: JWKS needs no fetch")


_FETCH = CachingFetch(_no_fetch)
_LOOP = asyncio.new_event_loop()


def jwt(data: bytes) -> None:
    """User JWTs: compact parsing and custom-JWT verification (auth/jws, auth/custom_jwt)."""
    token = _text(data)
    with contextlib.suppress(MalformedToken):
        parse_compact(token)
    try:
        _LOOP.run_until_complete(verify_custom_jwt(token, _PROVIDER, _FETCH, 1.7e9, redact=False))
    except Exception as exc:
        if refused(exc):
            return
        raise
    raise AssertionError(f"an unsigned token verified: {token!r}")


def push_body(data: bytes) -> None:
    """A push request body, Brotli, gzip or plain (server/push_api.decode_body)."""
    for encoding in ("br", "gzip", None):
        try:
            decode_body(data, encoding)
        except HttpError as exc:
            assert exc.status < 500, exc.message


def zip_import(data: bytes) -> None:
    """A ZIP snapshot to import (snapshots/import_sources): opened and read to the end."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "snapshot.zip"
        path.write_bytes(data)
        try:
            found = open_import(path)
            for table in found.tables:
                for _ in table.documents():
                    pass
        except Exception as exc:
            if refused(exc):
                return
            raise


def table_import(data: bytes) -> None:
    """A one-table import file (CSV, JSON Lines, JSON array), opened and read to the end."""
    with tempfile.TemporaryDirectory() as folder:
        for suffix in (".csv", ".jsonl", ".json"):
            path = Path(folder) / f"table{suffix}"
            path.write_bytes(data)
            try:
                for table in open_import(path, table="messages").tables:
                    for _ in table.documents():
                        pass
            except Exception as exc:
                if not refused(exc):
                    raise


def pushed_module(data: bytes) -> None:
    """A pushed module: its `{path, source}` entry and the ESM rewrite of its source."""
    try:
        module = parse_module(
            {"path": "fuzzed.js", "source": _text(data), "environment": "isolate"}
        )
    except Exception as exc:
        if refused(exc):
            return
        raise
    try:
        rewrite_module(module.path, module.source, {"fuzzed.js", "other.js"})
    except (InvalidModulePath, UnsupportedModuleSyntax):
        return


def zip_of(entries: dict[str, bytes]) -> bytes:
    """A ZIP archive holding `entries` (name → content)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def _doc_id() -> str:
    return encode_id(10001, new_internal_id())


SEEDS: dict[str, list[bytes]] = {
    "json_value": [
        b'{"a":{"$integer":"AQAAAAAAAAA="},"b":[1.5,null,true,{"$bytes":"aGk="}]}',
        b'{"$float":"AAAAAAAA+H8="}',
    ],
    "http_json_body": [b'{"path":"messages:list","args":{}}'],
    "sync_message": [
        json.dumps(
            {
                "type": "ModifyQuerySet",
                "baseVersion": 0,
                "newVersion": 1,
                "modifications": [
                    {"type": "Add", "queryId": 0, "udfPath": "messages:list", "args": [{}]}
                ],
            }
        ).encode(),
        b'{"type":"Mutation","requestId":0,"udfPath":"messages:send","args":[{}]}',
        b'{"type":"Authenticate","tokenType":"Admin","baseVersion":0,"value":"x"}',
    ],
    "sync_first_message": [
        json.dumps(
            {
                "type": "Connect",
                "sessionId": SESSION,
                "connectionCount": 0,
                "clientTs": 1.0,
                "maxObservedTimestamp": "AAAAAAAAAAA=",
            }
        ).encode()
    ],
    "document_id": [_doc_id().encode()],
    "cursor": [_CURSORS.encode(Cursor(b"\x01\x02", _FINGERPRINT)).encode()],
    "admin_key": [issue_admin_key(INSTANCE, SECRET).encode()],
    "jwt": [b"eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjoieCJ9.AAAA"],
    "push_body": [b'{"adminKey":"x","functions":"convex/","appDefinition":{}}'],
    "zip_import": [
        zip_of(
            {
                "messages/documents.jsonl": json.dumps({"_id": _doc_id(), "body": "hi"}).encode(),
                "messages/generated_schema.jsonl": b'"any"\n',
                "_tables/documents.jsonl": b'{"name":"messages","id":10001}\n',
            }
        )
    ],
    "table_import": [b'{"a":1,"b":{"$integer":"AQAAAAAAAAA="}}\n', b"a,b\n1,x\n", b"[{}]"],
    "pushed_module": [
        b'import { x } from "./other.js";\nexport const f = () => x;\nexport default 1;\n'
    ],
}

TARGETS: dict[str, Target] = {
    "json_value": json_value,
    "http_json_body": http_json_body,
    "sync_message": sync_message,
    "sync_first_message": sync_first_message,
    "document_id": document_id,
    "cursor": cursor,
    "admin_key": admin_key,
    "jwt": jwt,
    "push_body": push_body,
    "zip_import": zip_import,
    "table_import": table_import,
    "pushed_module": pushed_module,
}
