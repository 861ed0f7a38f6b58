"""V8Context over mini-racer's C API: results, errors, the synchronous bridge, limits, threads.

These also guard the pin on mini-racer 0.14.1 (functions.md §4.6 risk 1): the bridge,
timeouts and memory limits rely on its implementation details.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from convexlite.js.v8 import (
    BridgeError,
    ContextClosed,
    JsError,
    JsOutOfMemory,
    JsParseError,
    JsTimeout,
    ReentrantEvalError,
    V8Context,
    init_v8,
    v8_value_count,
)
from convexlite.js.v8_bridge import CAPACITY

# V8 flags are fixed by whoever initialises mini-racer first in the process. Test
# modules are imported during collection, before any test creates a MiniRacer, so
# initialising here gives this run convexlite's flags.
init_v8()


@pytest.fixture
def ctx() -> Iterator[V8Context]:
    context = V8Context()
    yield context
    context.close()


def echo(op: str, payload: str) -> str:
    return payload


# -- results and errors ----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 1", 2),
        ("-(2 ** 31)", -(2**31)),
        ("2 ** 40", 2.0**40),
        ("1.5", 1.5),
        ("'héllo 😀'", "héllo 😀"),
        ("''", ""),
        ("'a\\0b'", "a\0b"),
        ("true", True),
        ("false", False),
        ("null", None),
        ("undefined", None),
        ("var x = 1", None),
        ("({a: 1})", None),
        ("[1, 2]", None),
        ("(() => 1)", None),
        ("Promise.resolve(1)", None),
        ("Symbol('s')", None),
        ("new Date(0)", None),
        ("new SharedArrayBuffer(8)", None),
        ("JSON.stringify({a: [1, 'x']})", '{"a":[1,"x"]}'),
    ],
)
def test_result_types(ctx: V8Context, source: str, expected: object) -> None:
    result = ctx.eval(source)
    assert result == expected
    assert type(result) is type(expected)


def test_lone_surrogates_in_results(ctx: V8Context) -> None:
    assert ctx.eval("'a' + String.fromCharCode(0xD800) + 'b'") == "a\ud800b"
    assert ctx.eval("String.fromCharCode(0xDFFF, 0xD83D, 0xDE00)") == "\udfff😀"


def test_special_numbers(ctx: V8Context) -> None:
    assert ctx.eval("NaN") != ctx.eval("NaN")
    assert ctx.eval("Infinity") == float("inf")
    assert str(ctx.eval("-0")) == "-0.0"


def test_state_persists_between_evals(ctx: V8Context) -> None:
    ctx.eval("globalThis.counter = 41")
    assert ctx.eval("++counter") == 42


def test_js_exception_has_message_and_stack(ctx: V8Context) -> None:
    with pytest.raises(JsError) as info:
        ctx.eval("function f() { throw new TypeError('bad\\n\\nthing') }\nf()")
    error = info.value
    assert type(error) is JsError
    assert error.message == "TypeError: bad\n\nthing"
    assert str(error) == error.message
    assert error.stack is not None
    assert error.stack.startswith("TypeError: bad\n\nthing\n    at f (")
    assert ":2:1" in error.stack


def test_non_error_throw(ctx: V8Context) -> None:
    with pytest.raises(JsError) as info:
        ctx.eval("throw 'plain'")
    assert info.value.message == "plain"
    assert info.value.stack is None


def test_parse_error(ctx: V8Context) -> None:
    with pytest.raises(JsParseError) as info:
        ctx.eval("const a = 1;\nexport const x = 1;\n//# sourceURL=convex:/bad.js")
    assert info.value.message == "SyntaxError: Unexpected token 'export'"
    expected = "SyntaxError: Unexpected token 'export'\n    at convex:/bad.js:2:1"
    assert info.value.stack == expected
    assert ctx.eval("1") == 1


def test_source_url_in_stacks(ctx: V8Context) -> None:
    source = "function handler() {\n  null.x;\n}\nhandler();\n//# sourceURL=convex:/x.js"
    with pytest.raises(JsError) as info:
        ctx.eval(source)
    assert info.value.stack is not None
    assert "at handler (convex:/x.js:2:8)" in info.value.stack
    assert "at convex:/x.js:4:1" in info.value.stack


# -- process setup (init_v8) -----------------------------------------------------


def test_code_generation_from_strings_is_refused(ctx: V8Context) -> None:
    for source in ("new Function('return 1')", "eval('1')", "(0, eval)('1')"):
        with pytest.raises(JsError, match="EvalError: Code generation from strings"):
            ctx.eval(source)


def test_time_zone_is_utc(ctx: V8Context) -> None:
    assert ctx.eval("new Date(0).getHours()") == 0
    assert ctx.eval("new Date(0).getTimezoneOffset()") == 0


def test_stack_size_and_base64_flags(ctx: V8Context) -> None:
    with pytest.raises(JsError, match="RangeError: Maximum call stack size exceeded"):
        ctx.eval("function r() { return r() + 1 } r()")
    assert ctx.eval("Array.from(Uint8Array.fromBase64('AAH/')).join()") == "0,1,255"


def test_init_v8_is_idempotent() -> None:
    init_v8()
    init_v8()


def test_init_v8_after_mini_racer_warns_and_continues() -> None:
    script = """
import logging
from py_mini_racer import MiniRacer
MiniRacer().eval("1")
from convexlite.js.v8 import V8Context, init_v8
logging.basicConfig()
init_v8()
with V8Context() as ctx:
    print(ctx.eval("new Function('return 7')()"), ctx.eval("new Date(0).getHours()"))
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TZ": "America/New_York"},
    )
    assert done.returncode == 0, done.stderr
    assert "mini-racer was initialised before convexlite.init_v8()" in done.stderr
    assert done.stdout.split() == ["7", "0"]


FIRST_CONTEXTS_AT_ONCE = """
import threading
from convexlite.js.v8 import V8Context

contexts = []
def start():
    context = V8Context()
    contexts.append(context.eval("6 * 7"))
threads = [threading.Thread(target=start) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(contexts)
"""


def test_the_first_contexts_of_a_process_may_start_at_once() -> None:
    """V8 aborted about one process in four that started its first isolates together
    (a server whose scheduler, push and pool all start contexts at boot)."""
    for _ in range(8):
        done = subprocess.run(
            [sys.executable, "-c", FIRST_CONTEXTS_AT_ONCE],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout == "[42, 42, 42, 42]\n"


THREAD_OLDER_THAN_V8 = """
import queue, threading
from convexlite.js.v8 import V8Context

jobs, results = queue.Queue(), queue.Queue()
def serve():
    for job in iter(jobs.get, None):
        results.put(job())
worker = threading.Thread(target=serve)
worker.start()
print(V8Context().eval("1 + 1"))
jobs.put(lambda: V8Context().eval("3 + 3"))
print(results.get(timeout=30))
jobs.put(None)
"""


def test_a_thread_older_than_v8s_initialisation_creates_contexts() -> None:
    """A server's worker threads often start before its first JavaScript runs; on CPUs with
    memory protection keys such a thread segfaulted in `mr_init_context`."""
    done = subprocess.run(
        [sys.executable, "-c", THREAD_OLDER_THAN_V8], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["2", "6"]


# -- bridge ----------------------------------------------------------------------


def test_bridge_small_round_trip(ctx: V8Context) -> None:
    calls: list[tuple[str, str]] = []

    def handler(op: str, payload: str) -> str:
        calls.append((op, payload))
        return json.dumps({"got": op})

    ctx.handler = handler
    assert ctx.eval("__cvx_bridge('db/get', '{\"id\":1}')") == '{"got": "db/get"}'
    assert ctx.eval("__cvx_bridge('', '')") == '{"got": ""}'
    assert calls == [("db/get", '{"id":1}'), ("", "")]


def test_bridge_payload_may_contain_nul(ctx: V8Context) -> None:
    ctx.handler = lambda op, payload: f"{op}|{payload}"
    assert ctx.eval("__cvx_bridge('op', 'a\\0b') === 'op|a\\0b'") is True


def test_bridge_handler_can_be_swapped(ctx: V8Context) -> None:
    ctx.handler = lambda op, payload: "first"
    assert ctx.eval("__cvx_bridge('x', '')") == "first"
    ctx.handler = lambda op, payload: "second"
    assert ctx.eval("__cvx_bridge('x', '')") == "second"


@pytest.mark.parametrize("size", [CAPACITY - 3, CAPACITY - 2, CAPACITY, 1_000_000])
def test_bridge_large_request(ctx: V8Context, size: int) -> None:
    received: list[str] = []

    def handler(op: str, payload: str) -> str:
        received.append(payload)
        return str(len(payload))

    ctx.handler = handler
    source = f"""
      let s = ""; for (let i = 0; s.length < {size}; i++) s += String.fromCharCode(32 + i % 90);
      s = s.slice(0, {size});
      __cvx_bridge("big", s)
    """
    assert ctx.eval(source) == str(size)
    expected = "".join(chr(32 + i % 90) for i in range(size))
    assert received == [expected]


@pytest.mark.parametrize("size", [CAPACITY - 1, CAPACITY, CAPACITY + 1, 1_000_000])
def test_bridge_large_response(ctx: V8Context, size: int) -> None:
    response = "".join(chr(32 + i % 90) for i in range(size))
    ctx.handler = lambda op, payload: response
    source = f"""
      const r = __cvx_bridge("big", "");
      let ok = r.length === {size};
      for (let i = 0; ok && i < r.length; i++) ok = r.charCodeAt(i) === 32 + i % 90;
      ok
    """
    assert ctx.eval(source) is True


def test_bridge_megabyte_both_ways(ctx: V8Context) -> None:
    ctx.handler = lambda op, payload: payload[::-1]
    source = """
      const s = Array.from({length: 1e6}, (_, i) => String.fromCharCode(65 + i % 26)).join("");
      __cvx_bridge("reverse", s) === s.split("").reverse().join("")
    """
    assert ctx.eval(source) is True


def test_bridge_lone_surrogates_survive_both_ways(ctx: V8Context) -> None:
    seen: list[str] = []

    def handler(op: str, payload: str) -> str:
        seen.append(payload)
        return payload + "\udc00"

    ctx.handler = handler
    source = """
      const r = __cvx_bridge("s", "a\\ud800b\\udfff");
      [r.length, r.charCodeAt(1), r.charCodeAt(3), r.charCodeAt(4)].join()
    """
    assert ctx.eval(source) == f"5,{0xD800},{0xDFFF},{0xDC00}"
    assert seen == ["a\ud800b\udfff"]


def test_bridge_non_bmp_across_chunk_boundaries(ctx: V8Context) -> None:
    seen: list[str] = []

    def handler(op: str, payload: str) -> str:
        seen.append(payload)
        return payload

    ctx.handler = handler
    # "op\0" takes 3 code units, so the pair straddles the first chunk boundary.
    pad = CAPACITY - 4
    source = f"""
      const s = "x".repeat({pad}) + "😀" + "y".repeat({CAPACITY}) + "𝄞";
      __cvx_bridge("op", s) === s
    """
    assert ctx.eval(source) is True
    assert seen == ["x" * pad + "😀" + "y" * CAPACITY + "𝄞"]


def test_bridge_error_with_data(ctx: V8Context) -> None:
    def handler(op: str, payload: str) -> str:
        raise BridgeError(json.dumps({"message": "nope", "data": {"code": 7, "list": [1]}}))

    ctx.handler = handler
    source = """
      let out;
      try { __cvx_bridge("x", "") } catch (e) {
        out = JSON.stringify([e instanceof Error, e.message, e.data]);
      }
      out
    """
    assert json.loads(ctx.eval(source)) == [True, "nope", {"code": 7, "list": [1]}]


def test_bridge_error_without_data_and_with_null_data(ctx: V8Context) -> None:
    payloads = iter(['{"message": "plain"}', '{"message": "nul", "data": null}', "not json"])
    ctx.handler = lambda op, payload: (_ for _ in ()).throw(BridgeError(next(payloads)))
    source = """
      const out = [];
      for (let i = 0; i < 3; i++) {
        try { __cvx_bridge("x", "") } catch (e) { out.push([e.message, "data" in e, e.data]) }
      }
      JSON.stringify(out)
    """
    assert json.loads(ctx.eval(source)) == [
        ["plain", False, None],
        ["nul", True, None],
        ["not json", False, None],
    ]


def test_bridge_error_escaping_eval(ctx: V8Context) -> None:
    def handler(op: str, payload: str) -> str:
        raise BridgeError('{"message": "from host"}')

    ctx.handler = handler
    with pytest.raises(JsError, match="^Error: from host$") as info:
        ctx.eval("__cvx_bridge('x', '')")
    assert info.value.stack is not None
    assert "__cvx_bridge" in info.value.stack


class _NotAnException(BaseException):
    pass


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ValueError("bad value"), "Internal error in the host: ValueError('bad value')"),
        (_NotAnException(), "Internal error in the host: _NotAnException()"),
    ],
)
def test_bridge_generic_exception(ctx: V8Context, exc: BaseException, expected: str) -> None:
    def handler(op: str, payload: str) -> str:
        raise exc

    ctx.handler = handler
    source = "try { __cvx_bridge('x', '') } catch (e) { JSON.stringify([e.message, 'data' in e]) }"
    assert json.loads(ctx.eval(source)) == [expected, False]
    ctx.handler = echo
    assert ctx.eval("__cvx_bridge('x', 'still fine')") == "still fine"


def test_bridge_without_handler(ctx: V8Context) -> None:
    with pytest.raises(JsError, match="Internal error in the host: .*no bridge handler"):
        ctx.eval("__cvx_bridge('x', '')")


def test_bridge_handler_returning_non_string(ctx: V8Context) -> None:
    ctx.handler = lambda op, payload: 42  # type: ignore[assignment,return-value]
    with pytest.raises(JsError, match="Internal error in the host: TypeError"):
        ctx.eval("__cvx_bridge('x', '')")


def test_bridge_arguments_are_coerced_to_strings(ctx: V8Context) -> None:
    ctx.handler = lambda op, payload: f"{op}|{payload}"
    assert ctx.eval("__cvx_bridge(1, {toString() { return 'obj' }})") == "1|obj"


def test_bridge_glue_is_hidden_and_fixed(ctx: V8Context) -> None:
    ctx.handler = echo
    source = """
      "use strict";
      const d = Object.getOwnPropertyDescriptor(globalThis, "__cvx_bridge");
      const out = [d.writable, d.enumerable, d.configurable, Object.keys(globalThis).length,
                   typeof globalThis.__cvx_bridge_notify];
      try { globalThis.__cvx_bridge = () => "hijacked" } catch (e) { out.push(e.name) }
      try { delete globalThis.__cvx_bridge } catch (e) { out.push(e.name) }
      String.prototype.charCodeAt = () => 0;
      String.fromCharCode = () => "";
      JSON.parse = () => ({message: "hijacked"});
      out.push(__cvx_bridge("op", "intact"));
      JSON.stringify(out)
    """
    assert json.loads(ctx.eval(source)) == [
        False, False, False, 0, "undefined", "TypeError", "TypeError", "intact",
    ]  # fmt: skip


def test_bridge_from_promise_continuations(ctx: V8Context) -> None:
    ctx.handler = echo
    ctx.eval("globalThis.got = []; Promise.resolve().then(() => got.push(__cvx_bridge('a', 'b')))")
    assert ctx.eval("got.join()") == "b"


# -- re-entrancy and nesting -----------------------------------------------------


def test_nested_eval_into_another_context(ctx: V8Context) -> None:
    with V8Context() as inner:
        inner.eval("globalThis.double = (x) => 2 * x")
        inner.handler = lambda op, payload: payload.upper()

        def handler(op: str, payload: str) -> str:
            return str(inner.eval(f"double({int(payload)}) + __cvx_bridge('', 'z').length"))

        ctx.handler = handler
        assert ctx.eval("__cvx_bridge('nested', '20')") == "41"


def test_same_context_reentry_raises(ctx: V8Context) -> None:
    errors: list[BaseException] = []

    def handler(op: str, payload: str) -> str:
        for call in (lambda: ctx.eval("1"), lambda: ctx.submit("1"), ctx.heap_used):
            try:
                call()
            except ReentrantEvalError as e:
                errors.append(e)
        return "ok"

    ctx.handler = handler
    assert ctx.eval("__cvx_bridge('x', '')") == "ok"
    assert len(errors) == 3
    assert "deadlock" in str(errors[0])


def test_reentry_through_another_context_raises(ctx: V8Context) -> None:
    errors: list[BaseException] = []
    with V8Context() as other:

        def outer(op: str, payload: str) -> str:
            return str(other.eval("__cvx_bridge('back', '')"))

        def back(op: str, payload: str) -> str:
            try:
                ctx.eval("1")
            except ReentrantEvalError as e:
                errors.append(e)
            return "refused"

        ctx.handler = outer
        other.handler = back
        assert ctx.eval("__cvx_bridge('go', '')") == "refused"
    assert len(errors) == 1


def test_eval_from_future_callback_on_v8_thread_raises(ctx: V8Context) -> None:
    """Futures are resolved on the V8 thread, so their done-callbacks run there."""
    attached = threading.Event()
    errors: list[BaseException] = []

    def handler(op: str, payload: str) -> str:
        attached.wait(5)
        return "1"

    def done(_future: object) -> None:
        try:
            ctx.eval("1")
        except ReentrantEvalError as e:
            errors.append(e)

    ctx.handler = handler
    future = ctx.submit("__cvx_bridge('wait', '')")
    future.add_done_callback(done)
    attached.set()
    assert future.result(timeout=5) == "1"
    assert len(errors) == 1


# -- submit, threads -------------------------------------------------------------


def test_submit(ctx: V8Context) -> None:
    futures = [ctx.submit(f"{i} * 2") for i in range(20)]
    assert [f.result(timeout=5) for f in futures] == [i * 2 for i in range(20)]
    failing = ctx.submit("throw new Error('later')")
    with pytest.raises(JsError, match="Error: later"):
        failing.result(timeout=5)


def test_one_context_from_many_threads(ctx: V8Context) -> None:
    ctx.eval("globalThis.n = 0")
    ctx.handler = echo

    def work() -> None:
        for _ in range(50):
            ctx.eval("n++; __cvx_bridge('x', 'y')")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ctx.eval("n") == 200


def test_two_contexts_run_in_parallel() -> None:
    results: dict[int, object] = {}
    contexts = [V8Context(), V8Context()]
    source = "let x = 0; for (let i = 0; i < 3e7; i++) { x = (x + i) % 1000003 } x"

    def work(index: int) -> None:
        results[index] = contexts[index].eval(source, timeout=30)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for context in contexts:
        context.close()
    assert results[0] == results[1]
    assert isinstance(results[0], int)


# -- limits ----------------------------------------------------------------------


def test_timeout_then_context_still_works(ctx: V8Context) -> None:
    ctx.eval("globalThis.kept = 'yes'")
    started = time.monotonic()
    with pytest.raises(JsTimeout):
        ctx.eval("for (;;) {}", timeout=0.1)
    assert time.monotonic() - started < 2
    assert ctx.eval("kept") == "yes"
    assert ctx.eval("1 + 1", timeout=1) == 2


def test_timeout_while_in_bridge_loop(ctx: V8Context) -> None:
    ctx.handler = echo
    with pytest.raises(JsTimeout):
        ctx.eval("for (;;) { __cvx_bridge('spin', '') }", timeout=0.1)
    assert ctx.eval("__cvx_bridge('x', 'after')") == "after"


def test_runaway_promise_continuation_is_stopped_by_close() -> None:
    """Microtasks run after the eval task returned its value, outside its timeout
    (functions.md §4.2): the eval succeeds, the loop then occupies the V8 thread,
    later evals time out (they cannot start), and only close() terminates it."""
    context = V8Context()
    runaway = "Promise.resolve().then(() => { for (;;) {} }); 'returned'"
    assert context.eval(runaway) == "returned"
    pending = context.submit("'never runs'")
    with pytest.raises(JsTimeout, match="did not stop"):
        context.eval("1", timeout=0.05)
    started = time.monotonic()
    context.close()
    assert time.monotonic() - started < 2
    with pytest.raises(ContextClosed):
        pending.result(timeout=5)
    with pytest.raises(ContextClosed):
        context.eval("1")


def test_out_of_memory_then_fresh_context_works() -> None:
    context = V8Context(max_memory=16 * 2**20)
    with pytest.raises(JsOutOfMemory, match="close it"):
        context.eval("const keep = []; for (;;) keep.push(new Array(10000).fill(1.5))", timeout=10)
    context.close()
    with V8Context(max_memory=16 * 2**20) as fresh:
        assert fresh.eval("new Array(1000).fill(1).length") == 1000


def test_no_memory_limit() -> None:
    with V8Context(max_memory=None) as context:
        assert context.eval("new Array(1e6).fill(1).length") == 1_000_000


def test_heap_used(ctx: V8Context) -> None:
    before = ctx.heap_used()
    assert before > 0
    ctx.eval("globalThis.blob = new Array(200000).fill(0).map((_, i) => ({i}))")
    assert ctx.heap_used() > before


# -- lifecycle -------------------------------------------------------------------


def test_close_is_idempotent_and_final() -> None:
    context = V8Context()
    assert not context.closed
    context.close()
    context.close()
    assert context.closed
    with pytest.raises(ContextClosed):
        context.eval("1")
    with pytest.raises(ContextClosed):
        context.submit("1")
    with pytest.raises(ContextClosed):
        context.heap_used()


def test_close_terminates_running_js() -> None:
    context = V8Context()
    future = context.submit("for (;;) {}")
    time.sleep(0.05)
    started = time.monotonic()
    context.close()
    assert time.monotonic() - started < 2
    with pytest.raises(ContextClosed):
        future.result(timeout=5)


def test_close_from_inside_own_handler() -> None:
    context = V8Context()

    def handler(op: str, payload: str) -> str:
        context.close()
        return "closing"

    context.handler = handler
    with pytest.raises(ContextClosed):
        context.eval("__cvx_bridge('x', ''); for (;;) {}")
    assert context.closed


def test_process_exits_with_busy_open_contexts() -> None:
    script = """
from convexlite.js.v8 import V8Context
spinning = V8Context()
spinning.submit("for (;;) {}")
bridged = V8Context()
bridged.handler = lambda op, payload: payload
bridged.submit("for (;;) { __cvx_bridge('x', 'y') }")
idle = V8Context()
print(idle.eval("'bye'"))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "bye\n"


def test_value_handles_do_not_leak(ctx: V8Context) -> None:
    ctx.handler = echo
    for source in ("1", "'s'", "({})", "throw new Error('e')", "]"):
        with contextlib.suppress(JsError):
            ctx.eval(source)
    baseline = v8_value_count(ctx)
    for i in range(10_000):
        ctx.eval(("1", "'s'", "({})", "[1]")[i % 4])
    for _ in range(100):
        with pytest.raises(JsError):
            ctx.eval("throw new Error('e')")
    assert v8_value_count(ctx) == baseline
    assert ctx.eval("for (let i = 0; i < 10000; i++) __cvx_bridge('x', 'y'); 'done'") == "done"
    assert v8_value_count(ctx) == baseline


def test_many_contexts_come_and_go() -> None:
    for _ in range(20):
        with V8Context() as context:
            context.handler = echo
            assert context.eval("__cvx_bridge('a', 'b')") == "b"
