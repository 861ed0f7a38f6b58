"""Which database on a SQL server holds an instance (spec/platform.md §1.14).

Upstream Convex keeps each instance in the database named after it, with `-`
replaced by `_`, so one server can hold many instances and a database created
for upstream is found here. The database is never created by convexlite.
"""

from __future__ import annotations

from collections.abc import Callable

from convexlite.persistence.errors import StoreOpenError

DEFAULT_INSTANCE_NAME = "convex-self-hosted"


def database_name(
    instance_name: str, *, server: str, fits: Callable[[str], bool], rule: str
) -> str:
    """The instance's database name, refused when `fits` says the server cannot hold it.

    `rule` tells the user, in the error, what the server accepts.
    """
    name = instance_name.replace("-", "_")
    if not fits(name):
        raise StoreOpenError(
            f"instance name {instance_name!r} does not give a usable {server} database name "
            f"({rule})"
        )
    return name
