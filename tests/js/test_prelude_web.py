"""Unit cases of the prelude's globals: console formatting, encoding, URL, Web objects,
structuredClone, crypto, Date (in a context with only the prelude and the stub bridge)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from prelude_harness import RacerContext, finished, new_context, request, start


@pytest.fixture
def bare() -> Iterator[RacerContext]:
    context = new_context()
    yield context
    context.close()


def js(context: RacerContext, body: str) -> object:
    """The JSON value returned by the function body `body`."""
    return context.value(f"(() => {{ {body} }})()")


def logged(context: RacerContext, statements: str) -> list[dict]:
    """Log lines of a query whose handler runs `statements`."""
    context.eval(
        "__cvx.define('log.js', [], function () { const q = { isQuery: true, invokeQuery:"
        f" async () => {{ {statements}; return 'null'; }} }};"
        f" return {{ get q() {{ return q; }} }}; }});\n"
        "//# sourceURL=convex:/log.js\n"
    )
    start(context, request("query", "log.js", "q"))
    [result] = finished(context)
    assert result["ok"], result
    return result["logs"]


INSPECT_CASES = [
    ("'hello'", "'hello'"),
    ("['a', 1]", "[ 'a', 1 ]"),
    ("{a: 1, b: [1, 2]}", "{ a: 1, b: [ 1, 2 ] }"),
    ("{}", "{}"),
    ("[]", "[]"),
    ("{'a-b': 'it\\'s'}", "{ 'a-b': 'it\\'s' }"),
    ("'line\\n'", "'line\\n'"),
    ("['line\\n']", "[ 'line\\n' ]"),
    ("null", "null"),
    ("undefined", "undefined"),
    ("-0", "-0"),
    ("10n", "10n"),
    ("Symbol('s')", "Symbol(s)"),
    ("{[Symbol('k')]: 1}", "{ [Symbol(k)]: 1 }"),
    ("function named() {}", "[Function: named]"),
    ("[() => 1]", "[ [Function (anonymous)] ]"),
    ("new Map([['k', 1]])", "Map (1) {\n  'k' => 1\n}"),
    ("new Set([1])", "Set (1) {\n  1\n}"),
    ("new Date(0)", "1970-01-01T00:00:00.000Z"),
    ("/x+/g", "/x+/g"),
    (
        "(() => { class Point { constructor() { this.x = 1; } } return new Point(); })()",
        "Point { x: 1 }",
    ),
    ("Object.create(null)", "[Object: null prototype] {}"),
    ("(() => { const o = {a: 1}; o.self = o; return o; })()", "{ a: 1, self: [Circular] }"),
    ("{a: {b: {c: {d: {e: {f: 1}}}}}}", "{ a: { b: { c: { d: { e: [Object] } } } } }"),
    ("new Uint8Array([1, 2])", "Uint8Array(2) [ 1, 2 ]"),
    ("[new Error('inner')]", "[ [Error: inner] ]"),
]


@pytest.mark.parametrize(("expression", "rendered"), INSPECT_CASES)
def test_console_formats_like_object_inspect(bare, expression, rendered) -> None:
    [line] = logged(bare, f"console.log({expression})")
    assert line["messages"] == [rendered]


def test_console_levels_errors_timers_and_trace(bare) -> None:
    lines = logged(
        bare,
        """
        console.info("i"); console.warn("w"); console.error(new Error("bad")); console.debug("d");
        console.time("t"); console.timeLog("t", 1); console.timeEnd("t"); console.timeEnd("t");
        console.trace("here");
        """,
    )
    levels = [line["level"] for line in lines]
    assert levels == ["INFO", "WARN", "ERROR", "DEBUG", "INFO", "INFO", "WARN", "LOG"]
    assert lines[2]["messages"][0].startswith("Error: bad\n    at ")
    assert lines[4]["messages"][0].startswith("t: ") and lines[4]["messages"][1] == "1"
    assert lines[5]["messages"][0].endswith("ms")
    assert lines[6]["messages"] == ["Timer 't' does not exist"]
    assert lines[7]["messages"][0] == "'here'"
    assert lines[7]["messages"][1].startswith("Trace\n    at ")


def test_text_encoding_round_trips(bare) -> None:
    assert js(
        bare,
        r"""
        const bytes = new TextEncoder().encode("h\u00e9\u20ac\ud83d\ude00\ud800");
        return [Array.from(bytes), new TextDecoder().decode(bytes),
                new TextDecoder().decode(new Uint8Array([0xff, 0x41, 0xe2, 0x82]))];
        """,
    ) == [
        [104, 195, 169, 226, 130, 172, 240, 159, 152, 128, 239, 191, 189],
        "h\u00e9\u20ac\U0001f600\ufffd",
        "\ufffdA\ufffd",
    ]
    assert js(
        bare,
        """
        const d = new TextDecoder();
        const s = d.decode(new Uint8Array([0xe2, 0x82]), {stream: true})
          + d.decode(new Uint8Array([0xac]));
        let fatal; try { new TextDecoder("utf-8", {fatal: true}).decode(new Uint8Array([0xff])); }
        catch (e) { fatal = e.name; }
        return [s, fatal];
        """,
    ) == ["\u20ac", "TypeError"]


def test_base64(bare) -> None:
    assert js(
        bare,
        """
        let bad; try { atob("a"); } catch (e) { bad = e.name; }
        let wide; try { btoa("\u20ac"); } catch (e) { wide = e.name; }
        return [btoa("hello"), atob("aGVsbG8="), atob(" aGVs bG8 "), btoa(""), bad, wide];
        """,
    ) == ["aGVsbG8=", "hello", "hello", "", "InvalidCharacterError", "InvalidCharacterError"]


URL_CASES = [
    (
        "https://User:Pw@EXAMPLE.com:443/a/./b/../c?x=1 2#frag ment",
        None,
        "https://User:Pw@example.com/a/c?x=1%202#frag%20ment",
    ),
    ("HTTP://example.com", None, "http://example.com/"),
    ("http://example.com:8080/ä", None, "http://example.com:8080/%C3%A4"),
    ("../d?q", "http://h/a/b/c", "http://h/a/d?q"),
    ("//other/x", "https://h/a", "https://other/x"),
    ("?y=2", "http://h/a/b?x=1#f", "http://h/a/b?y=2"),
    ("#g", "http://h/a/b?x=1#f", "http://h/a/b?x=1#g"),
    ("", "http://h/a/b?x=1#f", "http://h/a/b?x=1"),
    ("/abs", "http://h/a/b", "http://h/abs"),
    ("http://0x7f.1/", None, "http://127.0.0.1/"),
    ("http://[0:0:0:0:0:0:0:1]:80/", None, "http://[::1]/"),
    ("http://m\u00fcnchen.de/", None, "http://xn--mnchen-3ya.de/"),
    ("mailto:a@b.c", None, "mailto:a@b.c"),
    ("file:///tmp/x y", None, "file:///tmp/x%20y"),
    ("foo://host/p?q#f", None, "foo://host/p?q#f"),
    ("http:\\\\h\\a\\b", None, "http://h/a/b"),
]


@pytest.mark.parametrize(("url", "base", "href"), URL_CASES)
def test_url_parsing(bare, url, base, href) -> None:
    args = json.dumps(url) + ("" if base is None else f", {json.dumps(base)}")
    assert js(bare, f"return new URL({args}).href") == href


def test_url_parts_setters_and_search_params(bare) -> None:
    assert js(
        bare,
        """
        const u = new URL("https://a.example:8443/p/q?x=1&y=a+b%21#h");
        const parts = [u.protocol, u.host, u.hostname, u.port, u.pathname, u.search, u.hash,
                       u.origin, u.searchParams.get("y")];
        u.searchParams.append("z", "a b&c");
        u.pathname = "/new path"; u.port = "443"; u.hash = "";
        const p = new URLSearchParams({b: "2", a: "1"}); p.sort();
        let invalid; try { new URL("/relative"); } catch (e) { invalid = e.name; }
        return [parts, u.href, p.toString(), [...new URLSearchParams("?a=1&a=2&b")],
                URL.canParse("nope"), invalid, JSON.stringify({u: new URL("http://h")})];
        """,
    ) == [
        [
            "https:",
            "a.example:8443",
            "a.example",
            "8443",
            "/p/q",
            "?x=1&y=a+b%21",
            "#h",
            "https://a.example:8443",
            "a b!",
        ],
        "https://a.example/new%20path?x=1&y=a+b%21&z=a+b%26c",
        "a=1&b=2",
        [["a", "1"], ["a", "2"], ["b", ""]],
        False,
        "TypeError",
        '{"u":"http://h/"}',
    ]


def test_headers_request_response_blob_formdata(bare) -> None:
    result = js(
        bare,
        """
        const out = [];
        const h = new Headers([["B", "1"], ["a", " 2 "]]); h.append("b", "3");
        h.append("Set-Cookie", "x=1"); h.append("set-cookie", "y=2");
        out.push([...h], h.get("B"), h.getSetCookie());
        const req = new Request("https://h/x", {method: "post", body: JSON.stringify({a: 1})});
        out.push(req.method, req.headers.get("content-type"));
        let getBody;
        try { new Request("https://h", {method: "GET", body: "x"}); }
        catch (e) { getBody = e.name; }
        out.push(getBody);
        const res = Response.json({ok: true}, {status: 201});
        out.push(res.status, res.ok, res.headers.get("content-type"));
        let badStatus; try { new Response("x", {status: 99}); } catch (e) { badStatus = e.name; }
        out.push(badStatus);
        const blob = new Blob(["ab", new Uint8Array([99])], {type: "Text/Plain"});
        out.push(blob.size, blob.type, blob.slice(1).size);
        const form = new FormData();
        form.append("f", new Blob(["data"]), "f.txt"); form.append("s", "v");
        out.push(form.get("f").name, form.get("s"));
        Promise.all([req.json(), res.text(), blob.text(),
          new Response(form).formData().then((f) => [f.get("s"), f.get("f").name]),
          new Response(new URLSearchParams("a=1")).formData().then((f) => f.get("a")),
          (async () => { const r = new Response("once"); await r.text();
                         try { await r.text(); } catch (e) { return e.name; } })(),
        ]).then((values) => { globalThis.__webResult = JSON.stringify([...out, ...values]); });
        return null;
        """,
    )
    assert result is None
    assert json.loads(bare.eval("__webResult")) == [
        [["a", "2"], ["b", "1, 3"], ["set-cookie", "x=1"], ["set-cookie", "y=2"]],
        "1, 3",
        ["x=1", "y=2"],
        "POST",
        "text/plain;charset=UTF-8",
        "TypeError",
        201,
        True,
        "application/json",
        "RangeError",
        3,
        "text/plain",
        2,
        "f.txt",
        "v",
        {"a": 1},
        '{"ok":true}',
        "abc",
        ["v", "f.txt"],
        "1",
        "TypeError",
    ]


def test_abort_controller_and_events(bare) -> None:
    assert js(
        bare,
        """
        const c = new AbortController(); const seen = [];
        c.signal.addEventListener("abort", (e) => seen.push(e.type));
        c.signal.onabort = () => seen.push("prop");
        c.abort(); c.abort();
        const t = new EventTarget(); t.addEventListener("x", () => seen.push("once"), {once: true});
        t.dispatchEvent(new Event("x")); t.dispatchEvent(new Event("x"));
        return [c.signal.aborted, c.signal.reason.name, seen, AbortSignal.abort("r").reason];
        """,
    ) == [True, "AbortError", ["prop", "abort", "once"], "r"]


def test_structured_clone(bare) -> None:
    assert js(
        bare,
        """
        const src = {d: new Date(5), m: new Map([[1, {x: 1}]]), s: new Set(["a"]),
                     b: new Uint8Array([1, 2]), n: null, arr: [1, [2]]};
        src.self = src;
        const c = structuredClone(src);
        let fn; try { structuredClone({f() {}}); } catch (e) { fn = e.name; }
        return [c !== src, c.self === c, c.d instanceof Date, c.d.getTime(), c.m.get(1).x,
                c.m.get(1) !== src.m.get(1), c.s.has("a"), Array.from(c.b),
                c.b.buffer !== src.b.buffer,
                c.arr, fn];
        """,
    ) == [True, True, True, 5, 1, True, True, [1, 2], True, [1, [2]], "DataCloneError"]


def test_crypto_and_misc_globals(bare) -> None:
    assert js(
        bare,
        """
        const a = crypto.getRandomValues(new Uint8Array(8));
        const uuid = crypto.randomUUID();
        let big; try { crypto.getRandomValues(new Uint8Array(70000)); } catch (e) { big = e.name; }
        const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
        return [a.length, v4.test(uuid),
                big, typeof queueMicrotask, typeof setTimeout, typeof process.env,
                self === globalThis,
                typeof AsyncLocalStorage, new Date(0) instanceof Date, Date.length];
        """,
    ) == [
        8,
        True,
        "QuotaExceededError",
        "function",
        "function",
        "object",
        True,
        "function",
        True,
        7,
    ]


def test_async_local_storage_is_visible_inside_run(bare) -> None:
    assert js(
        bare,
        """
        const als = new AsyncLocalStorage();
        const inside = als.run({id: 1}, () => als.getStore().id);
        return [inside, als.getStore()];
        """,
    ) == [1, None]


def test_process_env_reads_the_request_env(bare) -> None:
    lines = logged(
        bare, "console.log(process.env.GREETING, process.env.MISSING, 'GREETING' in process.env)"
    )
    assert lines[0]["messages"] == ["'hi'", "undefined", "true"]
