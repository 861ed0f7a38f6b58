"""`crypto.subtle` for pushed JavaScript: the prelude's `__crypto` op, served by `cryptography`.

`prelude/subtle.js` implements `SubtleCrypto` and `CryptoKey` as thin shells:
each method sends one synchronous bridge request `{op, ...}` (bytes in base64)
and turns the answer `{"ok": value}` or `{"error": {name, message}}` into a
resolved value or a `DOMException` of the spec's name. Synchronous, because
the operations are CPU-bound and short, and because queries and mutations
(which serve their bridge on the V8 thread) must be able to verify a JWT.
Key material stays with the CryptoKey (see `keys.py`); nothing persists here
between requests but a cache of parsed keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from convexlite.js.webcrypto import keys, operations
from convexlite.js.webcrypto.algorithms import CryptoFailure, b64decode, b64encode


def _data(request: dict[str, Any], member: str = "data") -> bytes:
    return b64decode(request[member])


def _import_key(request: dict[str, Any]) -> Any:
    fmt = request["format"]
    data = request["keyData"] if fmt == "jwk" else _data(request, "keyData")
    return keys.import_key(
        fmt, data, request["algorithm"], request["extractable"], request["usages"]
    )


def _generate_key(request: dict[str, Any]) -> Any:
    operations.needs_randomness(request.get("refusal"))
    return keys.generate_key(request["algorithm"], request["extractable"], request["usages"])


_OPS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "digest": lambda r: b64encode(operations.digest(r["algorithm"], _data(r))),
    "importKey": _import_key,
    "exportKey": lambda r: keys.export_key(r["format"], r["key"]),
    "generateKey": _generate_key,
    "sign": lambda r: b64encode(
        operations.sign(r["algorithm"], r["key"], _data(r), r.get("refusal"))
    ),
    "verify": lambda r: operations.verify(
        r["algorithm"], r["key"], _data(r, "signature"), _data(r)
    ),
    "encrypt": lambda r: b64encode(operations.encrypt(r["algorithm"], r["key"], _data(r))),
    "decrypt": lambda r: b64encode(operations.decrypt(r["algorithm"], r["key"], _data(r))),
    "deriveBits": lambda r: b64encode(
        operations.derive_bits(r["algorithm"], r["key"], r.get("length"), r["usage"])
    ),
}


def serve(payload: str) -> str:
    """Answer one `__crypto` request of the prelude."""
    request = json.loads(payload)
    try:
        handler = _OPS.get(request.get("op"))
        if handler is None:
            raise CryptoFailure(
                "NotSupportedError", f"crypto.subtle.{request.get('op')} is not supported"
            )
        return json.dumps({"ok": handler(request)})
    except CryptoFailure as exc:
        return json.dumps({"error": {"name": exc.name, "message": exc.message}})
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
        # a malformed parameter the checks above did not name
        return json.dumps(
            {"error": {"name": "OperationError", "message": f"{type(exc).__name__}: {exc}"}}
        )


__all__ = ["serve"]
