"""Text searches in the read set and in the write log (spec/platform.md §6.5).

Each text index has a key space of its own in the write log. A committed
document version writes, for every distinct token of its search field, one key
in a lane without filters and one key per filter field, prefixed by that
field's value (`lane, value sort key, token, NUL`). A search reads, in one lane
(its first `eq` filter's, or the lane without filters), the exact key of each
query term and the key prefix of its prefix term. So a write conflicts with, or
invalidates, a search when its old or new version contains a matching token
and agrees with that filter; matching one filter rather than all is the
conservative side: at worst a live query re-runs for nothing.
"""

from __future__ import annotations

from typing import Any

from convexlite.database.index_keys import field_value, index_key
from convexlite.database.intervals import Interval
from convexlite.database.search.definition import TextIndexDefinition
from convexlite.database.search.ranking import Filters, QueryTerms
from convexlite.database.search.tokenizer import term_counts

_NO_FILTER_LANE = b"\xff"


def text_index_id(tablet_id: bytes, index: TextIndexDefinition) -> bytes:
    """The write-log key space of `index`, never the id of a stored (16-byte) index."""
    return b"_search." + tablet_id + index.descriptor.encode()


def written_keys(index: TextIndexDefinition, doc: dict[str, Any]) -> set[bytes]:
    """The keys one document version writes."""
    text = field_value(doc, index.search_field)
    if type(text) is not str:
        return set()
    tokens = [t.encode() + b"\x00" for t in term_counts(text)]
    lanes = [_NO_FILTER_LANE]
    for i, path in enumerate(index.filter_fields):
        lanes.append(bytes([i]) + index_key((path,), doc, b""))
    return {lane + token for lane in lanes for token in tokens}


def read_intervals(terms: QueryTerms, filters: Filters) -> list[Interval]:
    """What a search with `terms` and `filters` reads."""
    lane = _NO_FILTER_LANE
    for position, key in filters:
        lane = bytes([position]) + key
        break
    if not terms.exact and terms.prefix is None:
        return [Interval.prefix(lane)]
    reads = [Interval.singleton(lane + t.encode() + b"\x00") for t in terms.exact]
    if terms.prefix is not None:
        reads.append(Interval.prefix(lane + terms.prefix.encode()))
    return reads
