"""Deployment environment variables: the `_environment_variables` table and its rules.

The variables are documents `{name, value}` of one global system table
(spec/platform.md §5.1). Functions read them through their transaction, so the
read lands in the read set: a change re-runs every live query that read them and
conflicts with every mutation that did (§5.3). A batch of changes is applied in
one transaction and checked as a whole, so bad input changes nothing (§5.2).

`EnvironmentVariables` is the deployment's view: the built-in `CONVEX_CLOUD_URL`
and `CONVEX_SITE_URL`, and the latest committed values for code outside any
transaction (actions, push-time analysis, warm JavaScript contexts).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Protocol

from convexlite.database.database import Database
from convexlite.database.transaction import Transaction
from convexlite.errors import BadRequestError
from convexlite.functions.syscalls import DatabaseSyscalls

TABLE = "_environment_variables"
BUILT_IN_NAMES = ("CONVEX_CLOUD_URL", "CONVEX_SITE_URL")
MAX_NAME_BYTES = 256
MAX_VALUE_BYTES = 8 * 1024
MAX_VARIABLES = 512
MAX_TOTAL_BYTES = 512 * 1024
_NAME = re.compile(r"[a-zA-Z_]+[a-zA-Z0-9_]*")

Changes = Mapping[str, str | None] | Iterable[tuple[str, str | None]]
"""{name: new value} or (name, new value) pairs; None unsets."""
Audit = Callable[[Transaction, dict[str, str], dict[str, str], list[str]], object]
"""Records a batch of changes: its transaction, the values before and after, the names."""


class EnvironmentVariableNameInvalid(BadRequestError):
    code = "EnvironmentVariableNameInvalid"


class EnvironmentVariableNameTooLong(BadRequestError):
    code = "EnvironmentVariableNameTooLong"


class EnvironmentVariableValueTooLarge(BadRequestError):
    code = "EnvironmentVariableValueTooLarge"


class EnvVarLimitMet(BadRequestError):
    code = "EnvVarLimitMet"


class EnvVarTotalSizeLimitMet(BadRequestError):
    code = "EnvVarTotalSizeLimitMet"


class EnvVarNameForbidden(BadRequestError):
    code = "EnvVarNameForbidden"


class RequiredEnvironmentVariable(BadRequestError):
    code = "RequiredEnvironmentVariable"


class InvalidEnvironmentVariable(BadRequestError):
    """A change that is not a string name with a string (or null) value."""

    code = "InvalidEnvironmentVariable"


def check_name(name: Any) -> str:
    """`name` if it may name a variable (upstream's `EnvVarName` rules)."""
    if not isinstance(name, str):
        raise InvalidEnvironmentVariable(
            f"Environment variable names must be strings, got {name!r}"
        )
    if _NAME.fullmatch(name) is None:
        raise EnvironmentVariableNameInvalid(
            f"The environment variable name {name} is invalid. Environment variable names "
            "must begin with a letter and may only include characters a-z, A-Z, 0-9, and "
            "underscores."
        )
    if len(name.encode()) > MAX_NAME_BYTES:
        raise EnvironmentVariableNameTooLong(
            f"The environment variable name {name} is too long. Environment variable names "
            f"must be less than {MAX_NAME_BYTES}."
        )
    return name


def check_value(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidEnvironmentVariable(
            f"The value of environment variable {name} must be a string, got {value!r}"
        )
    size = len(value.encode())
    if size > MAX_VALUE_BYTES:
        raise EnvironmentVariableValueTooLarge(
            f"The environment variable value is {size} bytes, which is too large. "
            f"(max size: {MAX_VALUE_BYTES})"
        )
    return value


def documents(tx: Transaction) -> list[dict[str, Any]]:
    """Every variable's document `{_id, _creationTime, name, value}`, sorted by name.

    The whole table (or, while it does not exist, the table registry) joins the
    transaction's read set, as upstream preloads the whole index."""
    return sorted(tx.rows(TABLE), key=lambda doc: doc["name"])


def read(tx: Transaction) -> dict[str, str]:
    """{name: value} as of `tx`'s snapshot, read through it (see `documents`)."""
    return {doc["name"]: doc["value"] for doc in documents(tx)}


def apply_changes(
    tx: Transaction, changes: Changes, required: Collection[str] = ()
) -> dict[str, str]:
    """Apply `changes` in `tx` as upstream does: every change checked first (no unset of a
    `required` name), then applied in order (unsets before sets, by name and value), a set
    replacing (delete and insert) an existing document, an unset of a missing name
    ignored; the count and total size are checked on the result. Returns the new values."""
    pairs = list(changes.items()) if isinstance(changes, Mapping) else list(changes)
    blocked = sorted({name for name, value in pairs if value is None and name in required})
    if blocked:
        raise RequiredEnvironmentVariable(
            f"Cannot delete required environment variables: {', '.join(blocked)}. These are "
            "declared as required in the app definition."
        )
    for name, value in pairs:
        check_name(name)
        if value is not None:
            check_value(name, value)
            if name in BUILT_IN_NAMES:
                raise EnvVarNameForbidden(
                    f'Environment variable with name "{name}" is built-in and cannot be '
                    "overridden"
                )
    existing = {doc["name"]: doc["_id"] for doc in documents(tx)}
    for name, value in sorted(pairs, key=lambda p: (p[1] is not None, p[0], p[1] or "")):
        if name in existing:
            tx.delete(existing.pop(name))
        if value is not None:
            existing[name] = tx.insert(TABLE, {"name": name, "value": value})
    values = read(tx)
    if len(values) > MAX_VARIABLES:
        raise EnvVarLimitMet(f"The environment variable limit ({MAX_VARIABLES}) has been met.")
    total = sum(len(name.encode()) + len(value.encode()) for name, value in values.items())
    if total > MAX_TOTAL_BYTES:
        raise EnvVarTotalSizeLimitMet(
            f"The total size of all environment variables ({total} bytes) exceeds the limit "
            f"({MAX_TOTAL_BYTES} bytes)."
        )
    return values


class EnvironmentVariables:
    """One deployment's variables: the built-ins, and the latest committed values.

    `set` is the only writer; it commits a batch and then updates `latest`, so
    code outside a transaction sees a change as soon as it is committed.
    """

    def __init__(self, db: Database, built_in: Mapping[str, str]) -> None:
        self._db = db
        self.built_in = dict(built_in)
        self._lock = threading.Lock()
        self._latest: dict[str, str] = read(db.begin(read_only=True))

    def latest(self) -> dict[str, str]:
        """The user-set variables as last committed (a copy)."""
        return dict(self._latest)

    def visible(self, tx: Transaction | None) -> dict[str, str]:
        """What `process.env`/`ctx.env` shows: the values as of `tx` (read through it), or
        the latest without one, and the built-ins."""
        user = self._latest if tx is None else read(tx)
        return {**user, **self.built_in}

    def set(
        self,
        changes: Changes,
        required: Collection[str] = (),
        check: Callable[[dict[str, str]], object] = lambda values: None,
        audit: Audit = lambda tx, before, after, names: None,
    ) -> dict[str, str]:
        """Apply `changes` in one transaction and commit it; returns the new values.
        Raises (changing nothing) if any change or the result breaks a rule, or if
        `check(new values)` raises (the auth config they would make invalid).
        `audit(tx, values before, values after, names changed)` records the change in
        the same transaction (the deployment audit log)."""
        pairs = list(changes.items()) if isinstance(changes, Mapping) else list(changes)
        with self._lock:
            tx = self._db.begin()
            before = read(tx)
            values = apply_changes(tx, pairs, required)
            check(dict(values))
            audit(tx, before, values, [name for name, _ in pairs])
            self._db.commit(tx)
            self._latest = values
            return dict(values)


class Execution(Protocol):
    """What `visible_in` needs of an execution's `Environment`."""

    @property
    def db(self) -> DatabaseSyscalls | None: ...

    @property
    def variables(self) -> EnvironmentVariables | None: ...


def visible_in(env: Execution) -> dict[str, str]:
    """The variables one execution sees: as of its transaction in a query or mutation
    (recording the read), the latest in an action; {} where no deployment is attached."""
    variables = env.variables
    if variables is None:
        return {}
    return variables.visible(env.db.tx if env.db is not None else None)
