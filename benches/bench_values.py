"""Timings of the values hot paths on a typical 5-field document.

Run: `.venv/bin/python benches/bench_values.py`. Ratios are against stdlib
`json.dumps` of the same stored document, measured in the same run.
"""

import json
import timeit

from convexlite.values import (
    check_document_sized,
    check_value,
    decode_id,
    dumpb,
    dumps,
    encode_id,
    loads,
    new_internal_id,
    sort_key,
    value_size,
)


def main() -> None:
    doc = {
        "author": "ada",
        "body": "hello world, this is a message",
        "count": 3.0,
        "tags": ["a", "b"],
        "done": False,
    }
    stored = dict(doc, _id=encode_id(10001, new_internal_id()), _creationTime=1755820800123.456)
    text = dumps(stored)
    internal = new_internal_id()
    doc_id = encode_id(10001, internal)
    n = 50_000

    def t(f) -> float:
        return min(timeit.repeat(f, number=n, repeat=7)) / n * 1e9

    base = t(lambda: json.dumps(stored))
    rows = [
        ("stdlib json.dumps(stored)", base),
        ("stdlib json.loads(text)", t(lambda: json.loads(text))),
        ("dumps(stored)", t(lambda: dumps(stored))),
        ("dumpb(stored)", t(lambda: dumpb(stored))),
        ("loads(text)", t(lambda: loads(text))),
        ("sort_key(stored)", t(lambda: sort_key(stored))),
        ("sort_key('ada')", t(lambda: sort_key("ada"))),
        ("sort_key(3.0)", t(lambda: sort_key(3.0))),
        ("encode_id", t(lambda: encode_id(10001, internal))),
        ("decode_id", t(lambda: decode_id(doc_id))),
        ("new_internal_id", t(new_internal_id)),
        ("check_value(doc)", t(lambda: check_value(doc))),
        ("check_document_sized(stored)", t(lambda: check_document_sized(stored))),
        ("value_size(stored)", t(lambda: value_size(stored))),
    ]
    for name, ns in rows:
        print(f"{name:32s} {ns:8.0f} ns  {ns / base:5.2f}x")


if __name__ == "__main__":
    main()
