"""One regression test per fuzzing finding (docs/reliability.md, Fuzzing), minimised: each
input used to escape as an uncaught exception (a 500 without Convex's body, a sync
connection closed as a server error, a failed import logged as a system error)."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import pytest
from conftest import Harness
from targets import zip_of

from convexlite.js.esm_rewrite import UnsupportedModuleSyntax, rewrite_module
from convexlite.snapshots.errors import ImportFailed
from convexlite.snapshots.import_sources import open_import
from convexlite.sync import FatalError, Send, SyncSession
from convexlite.values import Int64, decode, encode, json_codec
from convexlite.values.limits import MAX_NESTING, TooNestedError

DEEP = b"[" * 5000 + b"]" * 5000
SESSION = "3f0e4c2a-9b1d-4c7e-8a55-2d6f0b9e1a77"


def test_a_json_body_nested_too_deeply_is_bad_json(harness: Harness) -> None:
    json_type = {"content-type": "application/json"}
    response = harness.request("POST", "/api/query", content=DEEP, headers=json_type)
    assert response.status_code == 400
    assert response.json()["code"] == "BadJsonBody"


def test_a_push_body_nested_too_deeply_is_bad_json(harness: Harness) -> None:
    response = harness.request("POST", "/api/deploy2/start_push", content=DEEP)
    assert response.status_code == 400
    assert response.json()["code"] == "BadJsonBody"


def test_a_user_token_nested_too_deeply_is_an_invalid_header(harness: Harness) -> None:
    part = base64.urlsafe_b64encode(DEEP).rstrip(b"=").decode()
    token = f"eyJhbGciOiJFUzI1NiJ9.{part}.c2ln"
    response = harness.request(
        "POST",
        "/api/query",
        json={"path": "messages:list", "args": {}},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
    assert response.json()["code"] == "InvalidAuthHeader"


def _connect(client_ts: str) -> str:
    return (
        f'{{"type":"Connect","sessionId":"{SESSION}","connectionCount":0,"clientTs":{client_ts}}}'
    )


@pytest.mark.parametrize(
    "frame",
    [_connect("1e999"), _connect("NaN"), _connect("1" + "0" * 400), DEEP.decode()],
    ids=["infinite-clientTs", "NaN-clientTs", "huge-clientTs", "nested-too-deeply"],
)
def test_unreadable_sync_frames_are_fatal_errors(frame: str) -> None:
    actions = SyncSession().receive(frame, now_ms=1.0, latest_ts=0)
    assert isinstance(actions[0], Send) and isinstance(actions[0].message, FatalError)


def _import(tmp_path: Path, data: bytes, name: str = "snapshot.zip") -> None:
    path = tmp_path / name
    path.write_bytes(data)
    table = None if name.endswith(".zip") else "messages"
    for source in open_import(path, table=table).tables:
        list(source.documents())


DOCUMENT = json.dumps({"body": "hello"}).encode()


def _encrypted(archive: bytes) -> bytes:
    """`archive` with its entries flagged as encrypted (local and central headers)."""
    data = bytearray(archive)
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at != -1:
            data[at + flags_at] |= 0x1
            at = data.find(signature, at + 4)
    return bytes(data)


@pytest.mark.parametrize(
    "archive",
    [
        zip_of({"messages/documents.jsonl": DOCUMENT}).replace(b"hello", b"hellO"),  # bad CRC
        zip_of({"é/documents.jsonl": DOCUMENT}).replace("é".encode(), b"\x85\x85"),  # bad name
        zip_of({"_tables/documents.jsonl": b"1\n"}),  # a table listing line not an object
        zip_of({"messages/documents.jsonl": DEEP + b"\n"}),
        _encrypted(zip_of({"messages/documents.jsonl": DOCUMENT})),
    ],
    ids=["bad-crc", "name-not-utf8", "listing-not-object", "nested-too-deeply", "encrypted"],
)
def test_a_damaged_zip_import_is_refused(tmp_path: Path, archive: bytes) -> None:
    with pytest.raises(ImportFailed):
        _import(tmp_path, archive)


@pytest.mark.parametrize(
    ("name", "data"),
    [("table.csv", b"a,b\n\xff,1\n"), ("table.json", DEEP), ("table.jsonl", DEEP)],
    ids=["csv-not-utf8", "json-nested-too-deeply", "jsonl-nested-too-deeply"],
)
def test_a_damaged_table_import_is_refused(tmp_path: Path, name: str, data: bytes) -> None:
    with pytest.raises(ImportFailed):
        _import(tmp_path, data, name)


def test_a_pushed_module_with_a_control_character_in_an_import_is_refused() -> None:
    source = 'import { x } from "./oth\x01er.js";\nexport default x;\n'
    with pytest.raises(UnsupportedModuleSyntax):
        rewrite_module("a.js", source, {"a.js", "oth\x01er.js"})


@pytest.mark.parametrize("leaf", [Int64(1), -0.0, math.inf, b"x"], ids=repr)
def test_a_wrapped_scalar_at_the_nesting_limit_round_trips(leaf: object) -> None:
    """A value 64 levels deep whose leaf is written as a `$` wrapper object: the wrapper is
    a scalar, not one more level (the encoding of such a value used to be refused)."""
    value: object = leaf
    for _ in range(MAX_NESTING):
        value = [value]
    assert json_codec.loads(json_codec.dumpb(value)) == value
    assert decode(encode(value)) == value
    with pytest.raises(TooNestedError):
        json_codec.loads(json_codec.dumpb([value]))


@pytest.mark.parametrize(
    "body",
    [
        {"uploadToken": "t", "partTokens": 1.5, "import": {"format": "jsonLines"}},
        {"uploadToken": "t", "partTokens": [], "import": {"format": "csv", "tableName": 2.0}},
    ],
    ids=["part-tokens-not-an-array", "table-name-not-a-string"],
)
def test_a_malformed_import_upload_finish_is_bad_json(harness: Harness, body: dict) -> None:
    headers = {"Authorization": f"Convex {harness.admin_key}"}
    response = harness.request("POST", "/api/import/finish_upload", json=body, headers=headers)
    assert (response.status_code, response.json()["code"]) == (400, "BadJsonBody")
    assert harness.errors.take() == []
