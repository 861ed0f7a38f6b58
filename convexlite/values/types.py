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
