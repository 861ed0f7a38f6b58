"""Timings of V8Context (js/v8.py): eval round trip, bridge calls, context lifecycle.

Run: `.venv/bin/python benches/bench_js_bridge.py`. The eval ratio is against
mini-racer's public `MiniRacer().eval` measured in the same run; bridge calls are
timed as N calls inside one eval (JS loop), divided by N. functions.md §4.3 has
the reference figures (118 µs eval with direct ctypes, 14 µs per bridge call).
"""

import statistics
import time
from collections.abc import Callable

from py_mini_racer import MiniRacer

from convexlite.js.v8 import V8Context, init_v8


def per_call_us(fn: Callable[[], object], number: int, repeat: int = 5) -> float:
    best = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best.append((time.perf_counter() - start) / number)
    return min(best) * 1e6


def bridge_us(ctx: V8Context, calls: int, setup: str, call: str, repeat: int = 5) -> float:
    ctx.eval(setup)
    source = f"{{ const B = __cvx_bridge; for (let i = 0; i < {calls}; i++) {{ {call} }} }} 0"
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        ctx.eval(source)
        times.append((time.perf_counter() - start) / calls)
    return min(times) * 1e6


def main() -> None:
    init_v8()
    ctx = V8Context()
    small = '{"table":"messages","id":"k57a9c3bx2y1","fields":{"author":"ada","n":3}}'
    ten_kb = "x" * 10_000
    one_mb = "y" * 1_000_000
    responses = {"small": small, "10k": ten_kb, "1m": one_mb}
    ctx.handler = lambda op, payload: responses.get(op, "")

    racer = MiniRacer()
    racer.eval("1")
    ours = per_call_us(lambda: ctx.eval("1"), 2000)
    theirs = per_call_us(lambda: racer.eval("1"), 2000)
    racer.close()

    p10 = "globalThis.p10 = 'x'.repeat(1e4)"
    p1m = "globalThis.p1m = 'y'.repeat(1e6)"
    rows: list[tuple[str, float, str]] = [
        ("eval('1') round trip", ours, f"{ours / theirs:.2f}x of MiniRacer.eval"),
        ("MiniRacer().eval('1') round trip", theirs, "1.00x"),
        ("bridge: small request+response", bridge_us(ctx, 20_000, "0", "B('small', 'x')"), ""),
        ("bridge: 10 KB response", bridge_us(ctx, 5_000, "0", "B('10k', '')"), ""),
        ("bridge: 10 KB request", bridge_us(ctx, 5_000, p10, "B('', p10)"), ""),
        ("bridge: 1 MB response", bridge_us(ctx, 20, "0", "B('1m', '')"), ""),
        ("bridge: 1 MB request", bridge_us(ctx, 20, p1m, "B('', p1m)"), ""),
    ]
    ctx.close()

    lifecycle = []
    for _ in range(200):
        start = time.perf_counter()
        V8Context().close()
        lifecycle.append(time.perf_counter() - start)
    rows.append(("V8Context() + close() (median)", statistics.median(lifecycle) * 1e6, ""))

    for name, us, note in rows:
        print(f"{name:40s} {us:10.1f} µs  {note}")


if __name__ == "__main__":
    main()
