"""One vector index in memory: unit-length float32 rows searched exactly by cosine similarity
(spec/platform.md §6.6, §6.7).

Exact search is a matrix-vector product over every row, which NumPy does at
100,000 × 1,536 in about 20 ms (benches/bench_vector_search.py), so no
approximate structure is needed at that size, and results are exact.
Filter values are kept per field as small integer codes, so a filter is one
`isin` mask over the rows before scoring.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from convexlite.values import UNDEFINED, sort_key_maybe

_INITIAL_CAPACITY = 64


@dataclass(frozen=True, slots=True)
class VectorIndexSpec:
    """What a schema declares: the vector field, its dimensions and the filter fields
    (dotted paths)."""

    vector_field: str
    dimensions: int
    filter_fields: tuple[str, ...] = ()


def field_value(document: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted `path`, `UNDEFINED` where it is missing."""
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return UNDEFINED
        value = value[part]
    return value


def filter_key(value: Any) -> bytes:
    """The equality key of a filter value (`UNDEFINED` matches a missing field)."""
    return sort_key_maybe(value)


class VectorIndex:
    """The indexed documents of one vector index, by document id.

    A document is indexed only if its vector field is a list of exactly
    `dimensions` floats; any other document is left out (or taken out).
    Not thread-safe: its owner serializes updates and searches.
    """

    def __init__(self, spec: VectorIndexSpec) -> None:
        self.spec = spec
        self._matrix = np.zeros((_INITIAL_CAPACITY, spec.dimensions), dtype=np.float32)
        self._live = np.zeros(_INITIAL_CAPACITY, dtype=bool)
        self._codes = {f: np.zeros(_INITIAL_CAPACITY, dtype=np.int32) for f in spec.filter_fields}
        self._code_of: dict[str, dict[bytes, int]] = {f: {} for f in spec.filter_fields}
        self._ids: list[str | None] = []
        self._row_of: dict[str, int] = {}
        self._free: list[int] = []

    def __len__(self) -> int:
        return len(self._row_of)

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (the vectors dominate)."""
        return self._matrix.nbytes + self._live.nbytes + sum(c.nbytes for c in self._codes.values())

    def update(self, document_id: str, document: Mapping[str, Any] | None) -> None:
        """Index `document` under `document_id`, or drop it (None: deleted)."""
        vector = None if document is None else self._vector_of(document)
        if vector is None:
            self._remove(document_id)
            return
        row = self._row_of.get(document_id)
        if row is None:
            row = self._allocate(document_id)
        norm = float(np.linalg.norm(vector))
        self._matrix[row] = vector / norm if norm > 0 else vector
        self._live[row] = True
        assert document is not None
        for field, codes in self._codes.items():
            known = self._code_of[field]
            key = filter_key(field_value(document, field))
            codes[row] = known.setdefault(key, len(known))

    def dump(self) -> bytes:
        """The index as bytes (NumPy's `.npz`), for `load` to take up again."""
        used = len(self._ids)
        header = {
            "ids": self._ids,
            "codes": {f: {k.hex(): c for k, c in m.items()} for f, m in self._code_of.items()},
        }
        arrays: dict[str, Any] = {
            "header": np.frombuffer(json.dumps(header).encode(), np.uint8),
            "matrix": self._matrix[:used],
            "live": self._live[:used],
        }
        for i, f in enumerate(self.spec.filter_fields):
            arrays[f"codes{i}"] = self._codes[f][:used]
        out = io.BytesIO()
        np.savez(out, **arrays)
        return out.getvalue()

    @classmethod
    def load(cls, spec: VectorIndexSpec, data: bytes) -> VectorIndex:
        """The index `dump` wrote for an index defined as `spec`."""
        index = cls(spec)
        with np.load(io.BytesIO(data)) as arrays:
            header = json.loads(arrays["header"].tobytes())
            ids: list[str | None] = header["ids"]
            capacity = max(len(ids), _INITIAL_CAPACITY)
            index._matrix = _padded(arrays["matrix"], capacity)
            index._live = _padded(arrays["live"], capacity)
            index._codes = {
                f: _padded(arrays[f"codes{i}"], capacity) for i, f in enumerate(spec.filter_fields)
            }
        index._code_of = {
            f: {bytes.fromhex(k): c for k, c in header["codes"][f].items()}
            for f in spec.filter_fields
        }
        index._ids = ids
        index._row_of = {doc_id: row for row, doc_id in enumerate(ids) if doc_id is not None}
        index._free = [row for row, doc_id in enumerate(ids) if doc_id is None]
        return index

    def search(
        self, query: Sequence[float], limit: int, filters: Mapping[str, Sequence[Any]]
    ) -> list[tuple[str, float]]:
        """The `limit` nearest rows as `(id, cosine similarity)`, best first, ties by id.

        `filters` maps filter fields to allowed values; a row matches if any
        field holds one of its values (an OR across fields). Empty: every row.
        """
        used = len(self._ids)
        mask = self._live[:used].copy()
        if filters:
            mask &= self._filter_mask(filters, used)
        rows = np.flatnonzero(mask)
        if limit <= 0 or rows.size == 0:
            return []
        q = np.asarray(query, dtype=np.float32)
        norm = np.linalg.norm(q)
        if norm > 0:
            q = q / norm
        # Copying the selected rows costs about three reads of them: worth it for few rows only.
        few = rows.size * 3 < used
        scores = self._matrix[rows] @ q if few else (self._matrix[:used] @ q)[rows]
        if rows.size > limit:
            threshold = np.partition(scores, rows.size - limit)[rows.size - limit]
            keep = scores >= threshold
            rows, scores = rows[keep], scores[keep]
        hits = zip(rows.tolist(), scores.tolist(), strict=True)
        ranked = sorted(((str(self._ids[r]), s) for r, s in hits), key=lambda h: (-h[1], h[0]))
        return ranked[:limit]

    def _filter_mask(self, filters: Mapping[str, Sequence[Any]], used: int) -> np.ndarray:
        mask = np.zeros(used, dtype=bool)
        for field, values in filters.items():
            known = self._code_of[field]
            wanted = [known[k] for k in map(filter_key, values) if k in known]
            if wanted:
                mask |= np.isin(self._codes[field][:used], wanted)
        return mask

    def _vector_of(self, document: Mapping[str, Any]) -> np.ndarray | None:
        value = field_value(document, self.spec.vector_field)
        if not isinstance(value, list) or len(value) != self.spec.dimensions:
            return None
        if not all(type(x) is float or type(x) is int for x in value):  # not bool, not Int64
            return None
        return np.asarray(value, dtype=np.float32)

    def _allocate(self, document_id: str) -> int:
        if self._free:
            row = self._free.pop()
            self._ids[row] = document_id
        else:
            row = len(self._ids)
            if row == len(self._live):
                self._grow()
            self._ids.append(document_id)
        self._row_of[document_id] = row
        return row

    def _remove(self, document_id: str) -> None:
        row = self._row_of.pop(document_id, None)
        if row is None:
            return
        self._live[row] = False
        self._ids[row] = None
        self._free.append(row)

    def _grow(self) -> None:
        capacity = len(self._live) * 3 // 2
        matrix = np.zeros((capacity, self.spec.dimensions), dtype=np.float32)
        matrix[: len(self._matrix)] = self._matrix
        self._matrix = matrix
        self._live = np.concatenate([self._live, np.zeros(capacity - len(self._live), bool)])
        self._codes = {
            f: np.concatenate([c, np.zeros(capacity - len(c), np.int32)])
            for f, c in self._codes.items()
        }


def _padded(array: np.ndarray, capacity: int) -> np.ndarray:
    """`array` with zero rows appended up to `capacity` rows."""
    out = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
    out[: len(array)] = array
    return out
