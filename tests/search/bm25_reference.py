"""BM25 straight from spec/platform.md §6.4, written without the index, for the tests."""

from __future__ import annotations

import math


def reference(rows, query: str, keep=lambda i: True) -> list[tuple[float, str]]:
    """BM25 straight from the formula in spec/platform.md §6.4, written without the index."""
    docs = [text.lower().split() for _, _, text in rows]
    n = len(docs)
    avgdl = sum(map(len, docs)) / n
    tokens = query.lower().split()[:16]
    last = tokens[-1]
    vocab = sorted({w for d in docs for w in d})
    boost = {t: 1.0 for t in tokens}
    for t in [w for w in vocab if w.startswith(last) and w not in boost][:16]:
        boost[t] = 0.5
    nts = {t: sum(1 for d in docs if t in d) for t in boost}
    out = []
    for i, (doc_id, ct, _) in enumerate(rows):
        score, hit = 0.0, False
        for t, w in boost.items():
            tf = docs[i].count(t)
            if tf == 0:
                continue
            hit = True
            nt = nts[t]
            idf = math.log(1 + (n - nt + 0.5) / (nt + 0.5))
            score += w * idf * 2.2 * tf / (tf + 1.2 * (0.25 + 0.75 * len(docs[i]) / avgdl))
        if hit and keep(i):
            out.append((score, -ct, doc_id))
    out.sort(key=lambda r: (-r[0], r[1], r[2]))
    return [(s, d) for s, _, d in out]
