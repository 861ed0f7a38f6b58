"""Results of statements that always return exactly one row, typed as such."""

from __future__ import annotations

from typing import Any

from convexlite.persistence.errors import PersistenceError


def the_row(row: tuple[Any, ...] | None) -> tuple[Any, ...]:
    """The row of an aggregate, a lock function or a lease read that cannot come back empty.

    Drivers type `fetchone()` as optional; an empty result here means the
    server answered something else than the statement asks for.
    """
    if row is None:
        raise PersistenceError("a statement that always returns one row returned none")
    return row
