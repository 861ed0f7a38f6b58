"""The single-writer protocol of the Postgres and MySQL backends (spec/database.md §4.8).

Commit timestamps and OCC validation live in the memory of the one process
that commits, so two writers on one database would silently break both. Two
things keep a store single-writer:

- a server-side lock held by the writer's session (a Postgres advisory lock,
  a MySQL named lock), which the server drops when the session ends, so a
  killed backend never leaves a stale lock and a live one is never displaced
  by accident;
- upstream's `leases` row: opening raises its `ts` above every earlier
  holder's, and every write re-checks it inside its own transaction, so even
  a writer that does not know the lock (upstream Convex) is fenced off.

A second open fails with `LeaseHeldError`. Taking over is explicit only
(`take_over=True` or the URL option `?take_over_lease=1`): it ends the
holder's session and raises the lease, and the displaced backend's next write
fails with `LeaseLostError`. A writer that reconnects takes the lock again and
checks that the lease is still its own before writing anything.
"""

from __future__ import annotations

from convexlite.persistence.errors import InvalidPersistenceUrlError
from convexlite.values.formats import parse_flag

TAKE_OVER_HINT = "open with take_over=True (URL option ?take_over_lease=1)"


def take_over_option(value: str, *, url: str) -> bool:
    """The URL option `take_over_lease`: `1/true/yes/on` or `0/false/no/off` (or empty).

    Anything else is refused rather than read as "no": a typo must not leave
    a stuck backend in place while the user believes it is being replaced.
    `url` is the URL as shown in errors (without its password).
    """
    flag = parse_flag(value)
    if flag is not None:
        return flag
    raise InvalidPersistenceUrlError(
        f"URL {url!r}: take_over_lease must be 1/true/yes/on or 0/false/no/off, not {value!r}"
    )
