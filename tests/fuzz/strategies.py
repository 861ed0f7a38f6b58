"""Hypothesis strategies for generated and mutated inputs: JSON values (including what
Convex refuses), bodies that are bad JSON, too deep, not UTF-8 or badly compressed,
and the headers clients send (credentials, content types and encodings, client ids)."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import brotli
from hypothesis import strategies as st

SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
TEXT = st.text(st.characters(codec="utf-8") | SURROGATES, max_size=20)
WRAPPER_KEYS = ["$integer", "$float", "$bytes", "$set", "$map", "$commitTs", "$x"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT
    | st.builds(
        lambda key, value: {key: value},
        st.sampled_from(WRAPPER_KEYS),
        st.binary(max_size=12).map(_b64) | TEXT | st.integers() | st.none(),
    )
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
"""JSON values, many of them not Convex values: wrappers with bad payloads, lone
surrogates, field names Convex refuses, integers beyond 2^64, NaN."""

FUNCTION_PATHS = st.sampled_from(
    ["messages:list", "messages:send", "messages:fail", "messages:boom", "values:echo",
     "admin:count", "actions:shout", "_system/cli/tables", "nope:nope", "", ":", "a/../b:c",
     "messages.js:send", "messages:default"]
) | TEXT  # fmt: skip


def _deep(depth: int, opener: str) -> bytes:
    closer = {"[": "]", '{"a":': "}"}[opener]
    return (opener * depth + "1" + closer * depth).encode()


def dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """`base` with a few bytes flipped, inserted, deleted, or cut short."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[at:at] = draw(
                st.binary(min_size=1, max_size=4)
                | st.sampled_from([b"{", b"[", b'"', b"\\u", b"\xff", b"\x00", b"NaN", b"1e999"])
            )
        elif op == "delete" and data:
            del data[at]
        else:
            del data[at:]
    return bytes(data)


def bodies(shaped: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """Request bodies: well-shaped objects, any JSON, mutations of both, too-deep nesting,
    random bytes."""
    encoded = (shaped | JSON_VALUES).map(dumps)
    return st.one_of(
        encoded,
        encoded.flatmap(mutated),
        st.builds(_deep, st.integers(1, 5000), st.sampled_from(["[", '{"a":'])),
        st.binary(max_size=64),
    )


@st.composite
def encoded_body(draw: st.DrawFn, raw: bytes) -> tuple[bytes, str | None]:
    """`raw` sent plain, compressed as its Content-Encoding says, or corrupt."""
    encoding = draw(st.sampled_from([None, None, "br", "gzip", "deflate", "x-bogus"]))
    if encoding == "br":
        raw = brotli.compress(raw)
    elif encoding == "gzip":
        raw = gzip.compress(raw)
    if encoding is not None and draw(st.booleans()):
        raw = draw(mutated(raw))
    return raw, encoding


def _token(header: Any, payload: Any) -> str:
    part = lambda value: base64.urlsafe_b64encode(value).rstrip(b"=").decode()  # noqa: E731
    return f"{part(header)}.{part(payload)}.{part(b'sig')}"


def authorizations(admin_key: str) -> st.SearchStrategy[str | None]:
    """No credentials, the admin key, and broken keys and tokens of every kind."""
    identity = st.binary(max_size=16).map(_b64) | JSON_VALUES.map(
        lambda v: base64.b64encode(dumps(v)).decode()
    )
    blob = st.binary(max_size=40)
    return st.one_of(
        st.none(),
        st.just(f"Convex {admin_key}"),
        identity.map(lambda i: f"Convex {admin_key}:{i}"),
        st.builds(
            lambda k: f"Convex {k}", mutated(admin_key.encode()).map(lambda b: b.decode("latin-1"))
        ),
        st.builds(
            lambda h, p: "Bearer " + _token(h, p),
            blob | JSON_VALUES.map(dumps),
            blob | JSON_VALUES.map(dumps) | st.integers(1, 3000).map(lambda n: _deep(n, "[")),
        ),
        st.text(st.characters(max_codepoint=255), max_size=30),
    )


CONTENT_TYPES = st.sampled_from(
    [None, "application/json", "application/json; charset=utf-8", "APPLICATION/JSON",
     "text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded",
     "application/octet-stream", ";", ""]
)  # fmt: skip
CLIENTS = st.sampled_from(
    [None, "npm-1.45.0", "npm-cli-1.45.0", "python-0.4.0", "python", "dashboard-0.0.0",
     "npm-1.2.3.4", "-", "x-99999999999999999999.0.0"]
)  # fmt: skip


def headers(
    content_type: str | None, encoding: str | None, authorization: str | None, client: str | None
) -> dict[str, bytes]:
    """The headers given, as the bytes a client sends (Latin-1, as HTTP/1.1 allows)."""
    found = {
        "content-type": content_type,
        "content-encoding": encoding,
        "authorization": authorization,
        "convex-client": client,
    }
    return {k: v.encode("latin-1") for k, v in found.items() if v is not None}
