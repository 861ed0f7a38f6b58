"""Function paths: every spelling a client sends reaches the same function (protocol.md §1.9)."""

from __future__ import annotations

import pytest

from convexlite import App, ConvexBackendError, SyncBackend, v
from convexlite.values.function_paths import (
    InvalidFunctionPath,
    canonical_js,
    canonicalize,
    display,
)


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("messages", "messages:default"),
        ("messages:default", "messages:default"),
        ("messages.js", "messages:default"),
        ("messages.js:default", "messages:default"),
        ("messages:list", "messages:list"),
        ("messages.js:list", "messages:list"),
        ("dir/sub:fn", "dir/sub:fn"),
        ("dir/sub.js:fn", "dir/sub:fn"),
        ("api.v2/users:get_one", "api.v2/users:get_one"),
        ("_private:_helper", "_private:_helper"),
        ("m:" + "f" * 64, "m:" + "f" * 64),
    ],
)
def test_spellings_canonicalize(path: str, canonical: str) -> None:
    assert canonicalize(path) == canonical


@pytest.mark.parametrize(
    ("canonical", "shown", "with_js"),
    [
        ("messages:list", "messages:list", "messages.js:list"),
        ("messages:default", "messages", "messages.js:default"),
        ("dir/sub:fn", "dir/sub:fn", "dir/sub.js:fn"),
    ],
)
def test_display_forms(canonical: str, shown: str, with_js: str) -> None:
    assert display(canonical) == shown
    assert canonical_js(canonical) == with_js


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "Invalid function path: ''"),
        (":list", "Invalid function path: ':list'"),
        ("/abs:fn", "Invalid function path: '/abs:fn'"),
        ("../up:fn", "Invalid function path: '../up:fn'"),
        ("a/./b:fn", "Invalid function path: 'a/./b:fn'"),
        ("a//b:fn", "Invalid function path: 'a//b:fn'"),
        ("a b:fn", "Invalid function path: 'a b:fn'"),
        ("___:fn", "Invalid function path: '___:fn'"),
        ("m" * 65 + ":fn", f"Invalid function path: '{'m' * 65}:fn'"),
        (
            "messages.ts:list",
            "Invalid function path: 'messages.ts:list'. Module path has an extension that "
            "isn't 'js'.",
        ),
        (
            "messages.:list",
            "Invalid function path: 'messages.:list'. Module path has an extension that "
            "isn't 'js'.",
        ),
        ("messages:", "Invalid function name '' in path 'messages:'"),
        ("messages:1st", "Invalid function name '1st' in path 'messages:1st'"),
        ("messages:a-b", "Invalid function name 'a-b' in path 'messages:a-b'"),
        ("messages:__", "Invalid function name '__' in path 'messages:__'"),
        ("m:" + "f" * 65, f"Invalid function name '{'f' * 65}' in path 'm:{'f' * 65}'"),
        ("m:ok:x", "Invalid function path: 'm:ok:x'"),
    ],
)
def test_invalid_paths(path: str, message: str) -> None:
    with pytest.raises(InvalidFunctionPath) as err:
        canonicalize(path)
    assert err.value.message == message
    assert err.value.code == "InvalidFunctionPath"


app = App()


@app.query(name="messages")
def default_export(ctx, args):
    return "default"


@app.query(name="messages.js:list")
def list_messages(ctx, args):
    return "list"


@app.mutation(name="dir/sub:fn", args={"n": v.number()})
def nested_module(ctx, args):
    return args["n"] + 1


@pytest.fixture(scope="module")
def backend():
    with SyncBackend(app) as b:
        yield b


@pytest.mark.parametrize(
    ("path", "result"),
    [
        ("messages", "default"),
        ("messages:default", "default"),
        ("messages.js", "default"),
        ("messages.js:default", "default"),
        ("messages:list", "list"),
        ("messages.js:list", "list"),
    ],
)
def test_every_spelling_reaches_the_function(backend: SyncBackend, path: str, result: str) -> None:
    assert backend.query(path) == result


def test_nested_module_paths(backend: SyncBackend) -> None:
    assert backend.mutation("dir/sub:fn", {"n": 1}) == 2.0
    assert backend.mutation("dir/sub.js:fn", {"n": 2}) == 3.0


def test_messages_show_the_stripped_and_the_canonical_form(backend: SyncBackend) -> None:
    with pytest.raises(ConvexBackendError) as err:
        backend.query("nope.js:default")
    assert err.value.message == "Could not find public function for 'nope'."
    with pytest.raises(ConvexBackendError) as err:
        backend.mutation("messages")
    assert err.value.message == (
        "Trying to execute messages.js:default as Mutation, but it is defined as Query."
    )


def test_an_invalid_path_is_a_bad_request_that_changes_nothing(backend: SyncBackend) -> None:
    ts = backend.engine.db.latest_ts
    with pytest.raises(InvalidFunctionPath) as err:
        backend.mutation("../dir/sub:fn", {"n": 1})
    assert err.value.message == "Invalid function path: '../dir/sub:fn'"
    assert err.value.kind.is_deterministic
    assert backend.engine.db.latest_ts == ts
