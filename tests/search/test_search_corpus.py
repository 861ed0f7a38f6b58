"""10,000 documents through a Python query: the order a reference BM25 computed here gives,
filters included, and pagination through every match."""

from __future__ import annotations

import random

import pytest
from bm25_reference import reference

from convexlite import App, SyncBackend, define_schema, define_table, v

WORDS = [f"w{i:03d}" for i in range(300)]
schema = define_schema(
    {
        "docs": define_table(
            {"body": v.string(), "group": v.number(), "n": v.number()}
        ).search_index("search_body", search_field="body", filter_fields=["group"])
    }
)
app = App(schema)


@app.mutation(name="c:insert")
def insert(ctx, args):
    for n, body in args["rows"]:
        ctx.db.insert("docs", {"body": body, "group": float(n % 4), "n": n})


@app.query(name="c:search")
def search(ctx, args):
    def build(q):
        q = q.search("body", args["text"])
        return q.eq("group", args["group"]) if "group" in args else q

    query = ctx.db.query("docs").with_search_index("search_body", build)
    if "cursor" in args:
        return query.paginate({"numItems": 100, "cursor": args["cursor"]})
    return [d["n"] for d in query.take(args["take"])]


@pytest.fixture(scope="module")
def corpus():
    rng = random.Random(3)
    texts = [" ".join(rng.choices(WORDS, k=rng.randint(1, 15))) for _ in range(10_000)]
    with SyncBackend(app, "memory:") as backend:
        for start in range(0, len(texts), 2000):
            rows = [[n, texts[n]] for n in range(start, start + 2000)]
            backend.mutation("c:insert", {"rows": rows})
        yield backend, [(f"{n:05d}", float(n), text) for n, text in enumerate(texts)]


def ranked(rows, text, keep=lambda i: True) -> list[int]:
    return [int(doc_id) for _, doc_id in reference(rows, text, keep)]


@pytest.mark.parametrize("text", ["w001 w002", "w12", "w299 w007 w1"])
def test_top_results_match_reference_bm25(corpus, text):
    backend, rows = corpus
    assert backend.query("c:search", {"text": text, "take": 50}) == ranked(rows, text)[:50]


def test_filtered_results_match_reference_bm25(corpus):
    backend, rows = corpus
    got = backend.query("c:search", {"text": "w010 w02", "group": 2.0, "take": 30})
    assert got == ranked(rows, "w010 w02", lambda i: i % 4 == 2)[:30]


def test_pagination_walks_every_match_once(corpus):
    backend, rows = corpus
    want = ranked(rows, "w123")
    seen, cursor = [], None
    while True:
        page = backend.query("c:search", {"text": "w123", "cursor": cursor})
        seen += [d["n"] for d in page["page"]]
        if page["isDone"]:
            break
        cursor = page["continueCursor"]
    assert seen == want
