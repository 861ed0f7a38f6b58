"""The synchronous JS->Python bridge: `__cvx_bridge(op, payload)` over a SharedArrayBuffer.

A function made by `mr_make_js_callback` calls the native callback synchronously
on the V8 thread, but its argument array cannot be read there (every read is a
task posted to the same, busy isolate: deadlock). So request and response travel
through a SharedArrayBuffer whose backing store Python reads and writes in place
through the raw pointer mini-racer exposes (functions.md §4.5 R3).

Layout: `Int32Array hdr[4]` then `Uint16Array payload[CAPACITY]`. Strings move
as UTF-16 code units, so lone surrogates survive both ways. Messages larger than
the buffer go in chunks, one native call per chunk:

- JS writes a request chunk, `hdr[0] = units`, `hdr[1] = 1` if more follow;
  Python acknowledges a non-final chunk with `hdr[3] = ACK`.
- After the final chunk Python runs the handler and answers with
  `hdr[2] = units`, `hdr[3] = status` (bit 0 error, bit 1 more to come); JS asks
  for each further chunk with `hdr[0] = -1`.
- JS sets `hdr[3] = -1` before every call, so a native call that did nothing
  (context being torn down) is detected instead of re-reading a stale answer.
"""

from __future__ import annotations

import ctypes
import json
import logging
import sys
from collections.abc import Callable

logger = logging.getLogger(__name__)

BridgeHandler = Callable[[str, str], str]

CAPACITY = 64 * 1024
"""Payload capacity in UTF-16 code units (128 KiB) — one chunk."""
HEADER_BYTES = 16
STATUS_ERROR = 1
STATUS_MORE = 2
STATUS_ACK = 4
NOTIFY_GLOBAL = "__cvx_bridge_notify"
BRIDGE_GLOBAL = "__cvx_bridge"

_UTF16 = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"


class BridgeError(Exception):
    """Raised by a bridge handler to make the JS call throw `Error(message)` with `.data`.

    `payload_json` is the JSON text `{"message": str, "data"?: any}`; it is handed
    to JS unchanged, so a `ConvexError`'s data keeps its exact JSON.
    """

    def __init__(self, payload_json: str) -> None:
        super().__init__(payload_json)
        self.payload_json = payload_json


SETUP_SCRIPT = f"""(() => {{
  "use strict";
  const notify = globalThis.{NOTIFY_GLOBAL};
  delete globalThis.{NOTIFY_GLOBAL};
  if (typeof notify !== "function") throw new Error("bridge setup: no native callback");
  const CAP = {CAPACITY};
  const sab = new SharedArrayBuffer({HEADER_BYTES} + 2 * CAP);
  const hdr = new Int32Array(sab, 0, 4);
  const buf = new Uint16Array(sab, {HEADER_BYTES}, CAP);
  const apply = Reflect.apply;
  const fromCharCode = String.fromCharCode;
  const charCodeAt = String.prototype.charCodeAt;
  const subarray = Object.getPrototypeOf(Uint16Array.prototype).subarray;
  const toStr = String;
  const parse = JSON.parse;
  const hasOwn = Object.prototype.hasOwnProperty;
  const ErrorCtor = Error;
  const defineProperty = Object.defineProperty;
  const STEP = 8192;
  function call() {{
    hdr[3] = -1;
    notify();
    const status = hdr[3];
    if (status === -1) throw new ErrorCtor("Internal error in the host: the bridge is closed");
    return status;
  }}
  function read(n) {{
    if (n <= STEP) return apply(fromCharCode, null, apply(subarray, buf, [0, n]));
    let out = "";
    for (let i = 0; i < n; i += STEP) {{
      out += apply(fromCharCode, null, apply(subarray, buf, [i, i + STEP < n ? i + STEP : n]));
    }}
    return out;
  }}
  function bridge(op, payload) {{
    const req = toStr(op) + "\\0" + toStr(payload);
    const n = req.length;
    let off = 0;
    let status;
    for (;;) {{
      const k = n - off < CAP ? n - off : CAP;
      if (req.charCodeAt === charCodeAt) {{
        for (let i = 0; i < k; i++) buf[i] = req.charCodeAt(off + i);
      }} else {{
        for (let i = 0; i < k; i++) buf[i] = apply(charCodeAt, req, [off + i]);
      }}
      off += k;
      hdr[0] = k;
      hdr[1] = off < n ? 1 : 0;
      status = call();
      if (off >= n) break;
      if (status !== {STATUS_ACK}) throw new ErrorCtor("Internal error in the host: protocol");
    }}
    let out = read(hdr[2]);
    while (status & {STATUS_MORE}) {{
      hdr[0] = -1;
      hdr[1] = 0;
      status = call();
      out += read(hdr[2]);
    }}
    if (status & {STATUS_ERROR}) {{
      let p;
      try {{ p = parse(out); }} catch {{ p = {{ message: out }}; }}
      const e = new ErrorCtor(p !== null && typeof p === "object" ? toStr(p.message) : toStr(p));
      if (p !== null && typeof p === "object" && apply(hasOwn, p, ["data"])) e.data = p.data;
      throw e;
    }}
    return out;
  }}
  defineProperty(bridge, "name", {{ value: "{BRIDGE_GLOBAL}" }});
  defineProperty(globalThis, "{BRIDGE_GLOBAL}", {{
    value: bridge, writable: false, enumerable: false, configurable: false,
  }});
  return sab;
}})()
"""
"""Evaluated once per context after the native callback was stored at `NOTIFY_GLOBAL`.

Evaluates to the SharedArrayBuffer, which gives Python the backing-store pointer.
The buffer and the callback live only in the closure of a non-configurable,
non-writable, non-enumerable global, so user code can neither replace the bridge
nor reach the raw channel, and the buffer stays alive as long as the context.
"""


class BridgeEndpoint:
    """Python's end of one context's channel; all methods run on that context's V8 thread."""

    def __init__(self, address: int, handler_of: Callable[[], BridgeHandler | None]) -> None:
        self._hdr = (ctypes.c_int32 * 4).from_address(address)
        payload = (ctypes.c_char * (2 * CAPACITY)).from_address(address + HEADER_BYTES)
        self._payload = memoryview(payload).cast("B")
        self._handler_of = handler_of
        self._request: list[bytes] = []
        self._response = b""
        self._sent = 0
        self._status = 0

    def on_notify(self) -> None:
        """One native call from JS: a request chunk, or a request for the next response chunk."""
        hdr = self._hdr
        units = hdr[0]
        if units < 0:
            self._send_chunk()
            return
        data = bytes(self._payload[: 2 * units])
        if hdr[1] & 1:
            self._request.append(data)
            hdr[3] = STATUS_ACK
            return
        if self._request:
            self._request.append(data)
            data = b"".join(self._request)
            self._request = []
        response, self._status = self._run(data.decode(_UTF16, "surrogatepass"))
        self._response = response.encode(_UTF16, "surrogatepass")
        self._sent = 0
        self._send_chunk()

    def _run(self, request: str) -> tuple[str, int]:
        op, _, payload = request.partition("\0")
        handler = self._handler_of()
        try:
            if handler is None:
                raise RuntimeError("no bridge handler is set on this context")
            response = handler(op, payload)
            if not isinstance(response, str):
                raise TypeError(f"bridge handler returned {type(response).__name__}, not str")
            return response, 0
        except BridgeError as e:
            return e.payload_json, STATUS_ERROR
        except BaseException as e:  # noqa: BLE001 - must become a JS exception, never reach ctypes
            if not isinstance(e, Exception):
                logger.warning("bridge handler for %r raised %r", op, e)
            message = f"Internal error in the host: {e!r}"
            return json.dumps({"message": message}), STATUS_ERROR

    def _send_chunk(self) -> None:
        start = self._sent
        end = min(len(self._response), start + 2 * CAPACITY)
        self._payload[: end - start] = self._response[start:end]
        self._sent = end
        more = end < len(self._response)
        self._hdr[2] = (end - start) // 2
        self._hdr[3] = self._status | (STATUS_MORE if more else 0)
        if not more:
            self._response = b""
