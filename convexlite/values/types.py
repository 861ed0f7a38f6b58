"""The value model's leaf: sentinels and bounds every values module and the layers above share."""

from __future__ import annotations

from typing import Literal

Order = Literal["asc", "desc"]
"""The direction of an index scan or a query."""

MAX_TS = 2**63 - 1
"""The largest timestamp: storage keeps timestamps as signed 64-bit integers."""


class _Undefined:
    """JavaScript's `undefined`: a missing value, never stored."""

    __slots__ = ()
    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = object.__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNDEFINED"


UNDEFINED = _Undefined()
"""The "missing" sentinel: `{"$undefined": null}` in patches and query literals."""


class _CommitTs:
    """The commit timestamp of the writing transaction, unknown until it commits."""

    __slots__ = ()
    _instance: _CommitTs | None = None

    def __new__(cls) -> _CommitTs:
        if cls._instance is None:
            cls._instance = object.__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "COMMIT_TS"

    def __reduce__(self) -> str:
        return "COMMIT_TS"


COMMIT_TS = _CommitTs()
"""The commit-timestamp placeholder: `{"$commitTs": null}` (JS `db.vars.commitTs`). A mutation
may write it anywhere in a document; the committer replaces it with the commit's timestamp as
an `Int64`. Until then index keys and schema checks see `MAX_COMMIT_TS`."""

MAX_COMMIT_TS = MAX_TS
"""What an unresolved placeholder stands for in index keys, index ranges and schema checks: it
sorts after every real commit timestamp."""
