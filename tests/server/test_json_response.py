"""Bodies parsed and results rendered by msgspec read and read back as the standard library's."""

from __future__ import annotations

import json

import pytest

from convexlite.server.json_response import JsonResponse, loads


@pytest.mark.parametrize(
    "text",
    [
        '{"path": "a:b", "args": {"x": 1, "big": 12345678901234567890, "f": 1.5e300}}',
        '{"s": "\\u00e9\\ud83d\\ude00", "nested": [[], {}, null, true, false]}',
        '{"lone": "\\ud800"}',
    ],
)
def test_bodies_parse_as_the_standard_library_parses_them(text: str) -> None:
    assert loads(text.encode()) == json.loads(text)


def test_malformed_bodies_get_the_standard_librarys_error() -> None:
    with pytest.raises(json.JSONDecodeError, match="Expecting"):
        loads(b'{"path": ')


def test_results_render_as_json_the_standard_library_reads_back() -> None:
    content = {"status": "success", "value": {"n": 1.0, "s": "é😀", "l": [1, None, True]}}
    assert json.loads(JsonResponse(content).body) == content
    lone = {"value": "\ud800"}
    with pytest.raises(UnicodeEncodeError):
        JsonResponse(lone)
