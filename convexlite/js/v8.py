"""One V8 isolate+context per `V8Context`, driven through mini-racer's C API (functions.md §4.5).

Why not `py_mini_racer.MiniRacer`: it adds an asyncio thread per context and
~100 µs per eval, and its JS->Python calls are async only, while
`Convex.syscall` must be synchronous. Here an eval is a task posted to the
context's V8 thread whose completion callback resolves a `Future` directly, and
`__cvx_bridge(op, payload)` calls `handler(op, payload)` synchronously on that
thread (see `v8_bridge`). Each context has exactly one OS thread: mini-racer's.

Threading rules that follow from this design:

- Evals on one context are serialised by its V8 thread; different contexts run
  in parallel (the GIL is released while JS runs).
- `handler` runs on the V8 thread while JS waits for it. It may eval on *other*
  contexts (nested function calls) but not on its own (that would wait for
  itself): this is detected and raised as `ReentrantEvalError`, as is a cycle
  through other contexts that leads back to a context waiting on the chain.
- Promise continuations run after the eval task has returned its value, outside
  its timeout (§4.2): a runaway continuation blocks the context until `close()`.

Process-wide: `init_v8` fixes V8 flags and `TZ=UTC` for the whole process; an
application embedding convexlite cannot use mini-racer with other flags or a
non-UTC time zone in the same process.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import ctypes
import json
import logging
import os
import re
import threading
import time
from typing import Any

from convexlite.js import v8_lib
from convexlite.js.v8_bridge import (
    BRIDGE_GLOBAL,
    NOTIFY_GLOBAL,
    SETUP_SCRIPT,
    BridgeEndpoint,
    BridgeError,
    BridgeHandler,
)
from convexlite.js.v8_lib import T

__all__ = [
    "BridgeError",
    "BridgeHandler",
    "ContextClosed",
    "JsError",
    "JsOutOfMemory",
    "JsParseError",
    "JsTimeout",
    "ReentrantEvalError",
    "V8Context",
    "init_v8",
    "v8_value_count",
]

logger = logging.getLogger(__name__)

V8_FLAGS = (
    "--single-threaded",
    "--disallow-code-generation-from-strings",
    "--stack-size=2048",
    "--js-base-64",
    "--no-memory-protection-keys",
)
"""functions.md §4.5 R1, each verified (tests/js/test_v8.py); no `--allow-natives-syntax`.
`--no-memory-protection-keys`: on CPUs with PKU, V8 guards its code space with a memory
protection key, and Linux denies that key to every thread that existed before V8 took it,
so a server thread older than V8's initialisation segfaulted creating an isolate."""

CANCEL_GRACE_SECONDS = 0.25
UNPIN_WAIT_SECONDS = 0.05
"""How long a timed-out eval waits for V8 to confirm the termination before giving up."""


class JsError(Exception):
    """A JavaScript exception escaped an eval. `message` is V8's rendering (`"Error: boom"`)."""

    def __init__(self, message: str, stack: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.stack = stack

    def __str__(self) -> str:
        return self.message


class JsParseError(JsError):
    """The source did not compile; `stack` is `"SyntaxError: …\\n    at <script>:line:col"`."""


class JsTimeout(JsError):
    """The eval ran past its timeout and was terminated; the context stays usable."""


class JsOutOfMemory(JsError):
    """The context hit its hard memory limit; its state is undefined, discard it."""


class ContextClosed(Exception):
    """The context was closed (before or during the call)."""


class ReentrantEvalError(RuntimeError):
    """An eval would wait for a V8 thread that is itself waiting for this call (deadlock)."""


_init_lock = threading.Lock()
_first_isolate_lock = threading.Lock()
_first_isolate = threading.Event()
"""V8 sets up its address-space pools as the first isolate starts; two first isolates
starting at once abort the process (`Check failed: !IsConfigurablePoolInitialized()`,
measured: 17 of 60 processes starting four contexts at once), so the first one starts
alone."""
_lib: ctypes.CDLL | None = None
_tls = threading.local()
_open_contexts: set[V8Context] = set()


@atexit.register
def _close_open_contexts() -> None:
    """A V8 thread calling into a finalizing interpreter would hang or be killed mid-C++."""
    for context in list(_open_contexts):
        context.close()


def init_v8() -> None:
    """Initialise V8 once per process with `V8_FLAGS`, and pin the process time zone to UTC.

    Idempotent. If mini-racer was initialised by someone else first, its flags stay
    (V8 cannot be re-initialised): we log a warning and continue.
    """
    global _lib
    with _init_lock:
        if _lib is not None:
            return
        from py_mini_racer import LibAlreadyInitializedError, init_mini_racer

        os.environ["TZ"] = "UTC"
        time.tzset()
        try:
            handle = init_mini_racer(flags=V8_FLAGS)
        except LibAlreadyInitializedError:
            logger.warning(
                "mini-racer was initialised before convexlite.init_v8(); V8 flags %s are not "
                "applied (code generation from strings may be allowed)",
                " ".join(V8_FLAGS),
            )
            handle = init_mini_racer(ignore_duplicate_init=True)
        _lib = v8_lib.load(handle._name)


def _library() -> ctypes.CDLL:
    init_v8()
    assert _lib is not None
    return _lib


def v8_value_count(context: V8Context) -> int:
    """Value handles the library still holds for `context` (a leak check for tests)."""
    return int(_library().mr_value_count(context._id))


class _Task:
    """One posted eval: its future, and the contexts whose V8 threads wait for it."""

    __slots__ = ("future", "task_id", "callback_id", "waiters", "timeout", "source")

    def __init__(self, waiters: frozenset[int], source: str) -> None:
        self.source = source
        self.future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.task_id = 0
        self.callback_id = 0
        self.waiters = waiters
        self.timeout: float | None = None


class V8Context:
    """A V8 isolate with one context, its V8 thread, and the `__cvx_bridge` global."""

    handler: BridgeHandler | None
    """Called for each `__cvx_bridge(op, payload)`; swapped per execution by the caller."""

    def __init__(self, *, max_memory: int | None = 64 * 2**20) -> None:
        lib = _library()
        self.handler = None
        self._lib = lib
        self._lock = threading.Lock()
        self._closed = False
        self._tasks: dict[int, _Task] = {}
        self._v8_thread: int | None = None
        self._max_memory = max_memory
        self._bridge_callback = 0
        self._sab: ctypes._Pointer[v8_lib.RawValue] | None = None
        if _first_isolate.is_set():
            self._start(lib, max_memory)
            return
        with _first_isolate_lock:
            self._start(lib, max_memory)
            _first_isolate.set()

    def _start(self, lib: ctypes.CDLL, max_memory: int | None) -> None:
        self._id = int(lib.mr_init_context(v8_lib.DISPATCH))
        _open_contexts.add(self)
        try:
            if max_memory is not None:
                lib.mr_set_hard_memory_limit(self._id, max_memory)
            self._install_bridge()
        except BaseException:
            self.close()
            raise

    # -- evaluation ------------------------------------------------------------

    def eval(self, source: str, *, timeout: float | None = None) -> Any:
        """Run a classic script; return its completion value if primitive, else None.

        Strings, numbers (int when V8 holds an int32, else float), booleans and
        null/undefined (None) come back as Python values; objects, arrays, functions
        and promises come back as None (their effects happened; JSON.stringify in JS
        to get data out). Returned strings keep lone surrogates (V8 hands them over
        as WTF-8), but lone surrogates *in `source`* reach V8 as U+FFFD: pass such
        data through the bridge instead.
        """
        task = self._post(source)
        try:
            return task.future.result(timeout)
        except concurrent.futures.TimeoutError:
            pass
        task.timeout = timeout
        self._lib.mr_cancel_task(self._id, task.task_id)
        try:
            return task.future.result(CANCEL_GRACE_SECONDS)
        except concurrent.futures.TimeoutError:
            raise JsTimeout(
                f"JavaScript timed out after {timeout} s and V8 did not stop within "
                f"{CANCEL_GRACE_SECONDS} s (a runaway promise continuation, or a slow bridge "
                "handler); if it persists, close the context"
            ) from None

    def submit(self, source: str) -> concurrent.futures.Future[Any]:
        """Post an eval without waiting. Same result mapping as `eval`, no timeout.

        The future is resolved on the V8 thread: its done-callbacks run there and
        must not eval on this same context.
        """
        return self._post(source).future

    def _post(self, source: str) -> _Task:
        waiting = self._waiting_chain()
        if self._id in waiting or threading.get_ident() == self._v8_thread:
            raise ReentrantEvalError(
                "eval on a V8 context from a bridge handler running on that same context "
                "(directly or through nested contexts) would deadlock; use another context"
            )
        task = _Task(waiting, source)
        lib = self._lib
        data = source.encode("utf-8", "surrogatepass")
        with self._lock:
            if self._closed:
                raise ContextClosed("the V8 context is closed")
            task.callback_id = v8_lib.register(lambda value: self._complete(task, value))
            self._tasks[task.callback_id] = task
            code = lib.mr_alloc_string_val(self._id, data, len(data), T.STR_UTF8)
            task.task_id = lib.mr_eval(self._id, code, task.callback_id)
            lib.mr_free_value(self._id, code)
        return task

    def _waiting_chain(self) -> frozenset[int]:
        """Ids of contexts whose V8 threads wait (transitively) for the calling thread.

        Empty on ordinary threads. On a V8 thread inside a bridge handler it is that
        context plus whatever waits for the evals queued on it.
        """
        current: V8Context | None = getattr(_tls, "context", None)
        if current is None:
            return frozenset()
        chain = {current._id}
        for task in list(current._tasks.values()):
            chain |= task.waiters
        return frozenset(chain)

    def _complete(self, task: _Task, value: ctypes._Pointer[v8_lib.RawValue]) -> None:
        """Completion callback, on the V8 thread: convert, free the handle, resolve."""
        self._v8_thread = threading.get_ident()
        if not self._closed:
            v8_lib.pin_thread_state()
        v8_lib.unregister(task.callback_id)
        self._tasks.pop(task.callback_id, None)
        try:
            result: Any = self._convert(value.contents, task)
            error: BaseException | None = None
        except BaseException as e:  # noqa: BLE001 - delivered to the waiting thread
            result, error = None, e
        finally:
            self._release(value)
        if task.future.done():
            return
        if error is not None:
            task.future.set_exception(error)
        else:
            task.future.set_result(result)

    def _convert(self, raw: v8_lib.RawValue, task: _Task) -> Any:
        typ = raw.type
        if typ in (T.NULL, T.UNDEFINED):
            return None
        if typ == T.BOOL:
            return raw.value.int_val == 1
        if typ == T.INTEGER:
            return int(raw.value.int_val)
        if typ == T.DOUBLE:
            return float(raw.value.double_val)
        if typ == T.STR_UTF8:
            return ctypes.string_at(raw.value.value_ptr, raw.len).decode("utf-8", "surrogatepass")
        if typ < T.EXECUTE_EXCEPTION:
            return None
        text = ctypes.string_at(raw.value.value_ptr, raw.len).decode("utf-8", "replace")
        if self._closed:
            raise ContextClosed("the V8 context was closed while JavaScript was running")
        if task.timeout is not None and typ in (T.TERMINATED_EXCEPTION, T.TIMEOUT_EXCEPTION):
            raise JsTimeout(f"JavaScript timed out after {task.timeout} s")
        if typ == T.OOM_EXCEPTION:
            raise JsOutOfMemory(
                f"JavaScript hit the context's memory limit ({self._max_memory} bytes); "
                "this context's state is undefined: close it and use a fresh one"
            )
        message, stack, location = _parse_exception(text)
        if typ == T.PARSE_EXCEPTION:
            location = _with_source_url(location, task.source)
            where = f"\n    at {location}" if location else ""
            raise JsParseError(message, message + where)
        if typ == T.TERMINATED_EXCEPTION:
            raise JsError(message or "JavaScript execution was terminated", stack)
        raise JsError(message, stack)

    def _release(self, value: ctypes._Pointer[v8_lib.RawValue]) -> None:
        """Free a handle received on the V8 thread — unless the context is closing.

        mini-racer's entry points hold a reference to the C++ context while they
        run. If one running on the V8 thread held the *last* reference (because
        `close` freed the context meanwhile), the context would be destroyed on
        its own V8 thread, which joins itself: a crash. So V8-thread calls happen
        under `_lock` and only while open; `close` flips `_closed` under the same
        lock before freeing, and teardown frees the remaining handles anyway.
        """
        with self._lock:
            if not self._closed:
                self._lib.mr_free_value(self._id, value)

    # -- bridge ----------------------------------------------------------------

    def _install_bridge(self) -> None:
        lib = self._lib
        endpoint: list[BridgeEndpoint] = []

        def on_notify(value: ctypes._Pointer[v8_lib.RawValue]) -> None:
            if not self._closed:
                v8_lib.pin_thread_state()
            self._release(value)
            if not endpoint:
                return
            previous = getattr(_tls, "context", None)
            _tls.context = self
            try:
                endpoint[0].on_notify()
            finally:
                _tls.context = previous

        self._bridge_callback = v8_lib.register(on_notify)
        func = lib.mr_make_js_callback(self._id, self._bridge_callback)
        self._check_handle(func, "mr_make_js_callback")
        try:
            self._set_global(NOTIFY_GLOBAL, func)
        finally:
            lib.mr_free_value(self._id, func)
        self._sab = self._eval_handle(SETUP_SCRIPT)
        raw = self._sab.contents
        if raw.type != T.SHARED_ARRAY_BUFFER:
            raise RuntimeError(f"bridge setup returned value type {raw.type}, not a buffer")
        address = raw.value.value_ptr
        endpoint.append(BridgeEndpoint(address, lambda: self.handler))
        if self.eval(f"typeof {BRIDGE_GLOBAL}") != "function":
            raise RuntimeError("bridge setup did not define the global function")

    def _set_global(self, name: str, value: ctypes._Pointer[v8_lib.RawValue]) -> None:
        lib = self._lib
        glob = self._eval_handle("globalThis")
        key_bytes = name.encode()
        key = lib.mr_alloc_string_val(self._id, key_bytes, len(key_bytes), T.STR_UTF8)
        try:
            result = lib.mr_set_object_item(self._id, glob, key, value)
            self._check_handle(result, "mr_set_object_item")
            typ = result.contents.type
            lib.mr_free_value(self._id, result)
            if typ >= T.EXECUTE_EXCEPTION:
                raise RuntimeError(f"could not set global {name} (value type {typ})")
        finally:
            lib.mr_free_value(self._id, key)
            lib.mr_free_value(self._id, glob)

    def _eval_handle(self, source: str) -> ctypes._Pointer[v8_lib.RawValue]:
        """Eval during setup, keeping the raw result handle (the caller frees it)."""
        lib = self._lib
        done = threading.Event()
        box: list[ctypes._Pointer[v8_lib.RawValue]] = []

        def on_done(value: ctypes._Pointer[v8_lib.RawValue]) -> None:
            self._v8_thread = threading.get_ident()
            box.append(value)
            done.set()

        callback_id = v8_lib.register(on_done)
        try:
            data = source.encode()
            code = lib.mr_alloc_string_val(self._id, data, len(data), T.STR_UTF8)
            lib.mr_eval(self._id, code, callback_id)
            lib.mr_free_value(self._id, code)
            done.wait()
        finally:
            v8_lib.unregister(callback_id)
        value = box[0]
        if value.contents.type >= T.EXECUTE_EXCEPTION:
            text = ctypes.string_at(value.contents.value.value_ptr, value.contents.len)
            lib.mr_free_value(self._id, value)
            raise RuntimeError(f"V8 context setup failed: {text.decode('utf-8', 'replace')}")
        return value

    @staticmethod
    def _check_handle(handle: ctypes._Pointer[v8_lib.RawValue], what: str) -> None:
        if not handle:
            raise ContextClosed(f"{what} returned no value (context gone?)")

    # -- lifecycle -------------------------------------------------------------

    def heap_used(self) -> int | None:
        """V8's `used_heap_size` in bytes (waits for the V8 thread to be idle), or None when
        mini-racer's report cannot be read (it rarely answers with an error string)."""
        self._check_not_own_thread("heap_used")
        with self._lock:
            if self._closed:
                raise ContextClosed("the V8 context is closed")
        lib = self._lib
        value = lib.mr_heap_stats(self._id)
        self._check_handle(value, "mr_heap_stats")
        try:
            raw = value.contents
            if raw.type != T.STR_UTF8:
                raise ContextClosed("heap statistics unavailable")
            text = ctypes.string_at(raw.value.value_ptr, raw.len)
        finally:
            lib.mr_free_value(self._id, value)
        try:
            return int(json.loads(text)["used_heap_size"])
        except (ValueError, KeyError, TypeError):
            return None

    def _check_not_own_thread(self, what: str) -> None:
        if threading.get_ident() == self._v8_thread:
            raise ReentrantEvalError(f"{what} called on a V8 context from its own V8 thread")

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def out_of_memory(self) -> bool:
        """Whether the context hit its hard memory limit (V8 then stops its JavaScript,
        possibly inside a promise continuation no eval is waiting for). Any thread."""
        with self._lock:
            if self._closed:
                return False
            return bool(self._lib.mr_hard_memory_limit_reached(self._id))

    def close(self) -> None:
        """Terminate any running JS at once and free the isolate. Idempotent.

        Pending and later calls raise `ContextClosed`. Called from this context's own
        V8 thread (inside a handler), the teardown is handed to a helper thread,
        since freeing joins the V8 thread.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
        _open_contexts.discard(self)
        if threading.get_ident() == self._v8_thread:
            v8_lib.unpin_thread_state()
            threading.Thread(target=self._free, name="v8-context-close", daemon=True).start()
            return
        unpin = self._unpin_if_idle() if not self._tasks else 0
        try:
            self._free()
        finally:
            v8_lib.unregister(unpin)

    def _unpin_if_idle(self) -> int:
        """Release the V8 thread's pinned Python thread state before teardown.

        Only code on that thread can, so this posts a tiny task and waits for it,
        briefly: freeing a context while a task is still queued can crash mini-racer
        0.14.1 (observed, rarely, under load), so an idle context must be idle at
        free. A busy context (a runaway promise continuation) keeps its thread
        state: a few KB leaked in exchange for closing at once.
        """
        lib = self._lib
        done = threading.Event()

        def on_done(value: ctypes._Pointer[v8_lib.RawValue]) -> None:
            v8_lib.unpin_thread_state()
            done.set()

        callback_id = v8_lib.register(on_done)
        code = lib.mr_alloc_string_val(self._id, b"0", 1, T.STR_UTF8)
        if code:
            lib.mr_eval(self._id, code, callback_id)
            lib.mr_free_value(self._id, code)
            done.wait(UNPIN_WAIT_SECONDS)
        return callback_id

    def _free(self) -> None:
        self._lib.mr_free_context(self._id)
        v8_lib.unregister(self._bridge_callback)
        self._sab = None
        for callback_id, task in list(self._tasks.items()):
            v8_lib.unregister(callback_id)
            self._tasks.pop(callback_id, None)
            if not task.future.done():
                task.future.set_exception(ContextClosed("the V8 context was closed"))

    def __enter__(self) -> V8Context:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<V8Context {self._id} {state}>"


_SOURCE_URL = re.compile(r"^[ \t]*//[#@][ \t]*sourceURL=[ \t]*(\S+)[ \t]*$", re.MULTILINE)


def _with_source_url(location: str | None, source: str) -> str | None:
    """V8 names a script that failed to compile `<anonymous>`, ignoring its sourceURL.

    Stack frames of compiled scripts do use it, so a parse error is reported under
    the same name, e.g. `convex:/messages.js:2:1`.
    """
    if location is None or not location.startswith("<anonymous>:"):
        return location
    urls = _SOURCE_URL.findall(source)
    if not urls:
        return location
    return urls[-1] + location[len("<anonymous>") :]


_HEADER = re.compile(r"^(.*?):(-?\d+): ")
_UNDERLINE = re.compile(r"^ *\^+$", re.MULTILINE)


def _parse_exception(text: str) -> tuple[str, str | None, str | None]:
    """Split mini-racer's d8-style report into (message, stack, "script:line:col").

    The report is `script:line: <exception>\\n<source line>\\n<^^^ underline>\\n`
    followed by `\\n<stack>\\n` when the exception has a stack.
    """
    text = text.rstrip("\n")
    header = _HEADER.match(text)
    if header is None:
        return text, None, None
    script, line = header.group(1), header.group(2)
    body = text[header.end() :]
    underline = _UNDERLINE.search(body)
    if underline is None:
        return body, None, f"{script}:{line}"
    source_line_start = body.rfind("\n", 0, max(underline.start() - 1, 0))
    message = body[: max(source_line_start, 0)] if source_line_start >= 0 else body
    column = len(underline.group(0)) - len(underline.group(0).lstrip(" ")) + 1
    stack = body[underline.end() :].lstrip("\n") or None
    return message, stack, f"{script}:{line}:{column}"
