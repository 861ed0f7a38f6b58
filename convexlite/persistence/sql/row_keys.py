"""Rows named by primary key, in the columns Postgres and MySQL store them under.

Two writers name rows to delete: the undo of a write whose reply was lost
(`commit_outcome.py`) and retention (`Persistence.delete`). Both hand over
documents as `(ts, tablet_id, internal_id)` and index entries as
`(index_id, key, ts)`; the servers key index entries by the split key
(`key_split.py`), so the key becomes its prefix and hash here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from convexlite.persistence.sql.key_split import split_key

DocumentKeys = Sequence[tuple[int, bytes, bytes]]
IndexKeys = Sequence[tuple[bytes, bytes, int]]


def split_index_keys(indexes: IndexKeys) -> list[tuple[bytes, bytes, bytes, int]]:
    """`(index_id, key_prefix, key_sha256, ts)` of each index entry, MySQL's primary key."""
    rows = []
    for index_id, key, ts in indexes:
        prefix, _, sha = split_key(key)
        rows.append((index_id, prefix, sha, ts))
    return rows


def key_arrays(documents: DocumentKeys, indexes: IndexKeys) -> dict[str, list[Any]]:
    """One array per primary-key column, for a Postgres `unnest()`."""
    return {
        "d_ts": [ts for ts, _, _ in documents],
        "d_table": [tablet_id for _, tablet_id, _ in documents],
        "d_id": [internal_id for _, _, internal_id in documents],
        "i_id": [index_id for index_id, _, _ in indexes],
        "i_sha": [split_key(key)[2] for _, key, _ in indexes],
        "i_ts": [ts for _, _, ts in indexes],
    }
