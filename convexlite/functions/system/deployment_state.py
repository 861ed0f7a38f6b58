"""Pausing a deployment: the `_backend_state` singleton (spec/operator.md §2.10, §4.9).

`{system, usage_limit, user}`: convexlite only ever changes `user` (`"none"` or
`"paused"`, the dashboard's Settings page and `/api/v1/pause_deployment`); the others
stay `"none"` and exist because the dashboard reads them. While the deployment is not
running, every user function (query, mutation, action, HTTP action, whatever calls it)
fails with upstream's message (protocol.md §4.4), the scheduler leaves due jobs queued
and crons wait; system functions, pushes and the CLI's own calls go on. The state is read
through the function's transaction, so a live query that failed because of a pause runs
again when the deployment resumes, and a mutation racing a pause conflicts with it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from convexlite.database.database import Database
from convexlite.database.transaction import Transaction
from convexlite.errors import BadRequestError
from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.functions.environment import Environment
from convexlite.functions.system import audit_log
from convexlite.functions.validators import args_validator

BACKEND_STATE = "_backend_state"
SYSTEM_TABLES: dict[str, dict[str, list[str]]] = {BACKEND_STATE: {}}
RUNNING_STATE = {"system": "none", "usage_limit": "none", "user": "none"}
PAUSED_MESSAGE = (
    "Cannot run functions while this deployment is paused. Resume the deployment in the "
    "dashboard settings to allow functions to run."
)
SUSPENDED_MESSAGE = "Cannot run functions while this deployment is suspended."
DISABLED_MESSAGE = (
    "This deployment has been disabled because it exceeded a configured usage limit. Update "
    "or disable the usage limit in the deployment settings to resume function execution."
)


class DeploymentNotRunning(BadRequestError):
    """A user function called while the deployment is paused (a function error, as
    upstream's: its message is all a client sees)."""

    code = "DeploymentNotRunning"


class PauseDeploymentFailed(BadRequestError):
    code = "PauseDeploymentFailed"


class UnpauseDeploymentFailed(BadRequestError):
    code = "UnpauseDeploymentFailed"


def _row(tx: Transaction) -> dict[str, Any] | None:
    return next(tx.rows(BACKEND_STATE, prefetch=1), None)


def backend_state(tx: Transaction) -> dict[str, str]:
    """`{system, usage_limit, user}` as of `tx`, read through it (running when never set)."""
    row = _row(tx)
    if row is None:
        return dict(RUNNING_STATE)
    return {name: str(row.get(name, default)) for name, default in RUNNING_STATE.items()}


def deployment_state(state: dict[str, str]) -> str:
    """The one word the dashboard's `deploymentState` shows."""
    if state["system"] in ("disabled", "suspended"):
        return state["system"]
    if state["usage_limit"] == "disabled":
        return "disabled"
    return "paused" if state["user"] == "paused" else "running"


def not_running_message(tx: Transaction) -> str | None:
    """Why user functions may not run now, None while the deployment runs."""
    return _message(deployment_state(backend_state(tx)))


def _message(state: str) -> str | None:
    if state == "paused":
        return PAUSED_MESSAGE
    if state == "suspended":
        return SUSPENDED_MESSAGE
    if state == "disabled":
        return DISABLED_MESSAGE
    return None


def state_indexes(db: Database) -> set[bytes]:
    """The indexes a commit changing the state writes, for services to wake on."""
    registry = db.registry
    table = registry.table(BACKEND_STATE)
    if table is None:
        return set()
    return {index.index_id for index in registry.table_indexes(table.tablet_id)}


class RunningCheck:
    """Whether user functions may run, asked before every one without a storage read each time.

    The state is kept with the snapshot it was read at, and is valid for any later
    snapshot while nothing changes it: a transaction that uses it records the read all
    the same (`Transaction.depend_on_table`), so a live query still re-runs, and a
    mutation still conflicts, when the state changes. `changing()` wraps every change
    (`Engine.set_paused`): while one is under way, and after it, checks read storage
    until a read is known to be current again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._changing = 0
        self._known: tuple[int, dict[str, str]] | None = None

    def state(self, tx: Transaction) -> dict[str, str]:
        known = self._known
        if known is not None and tx.begin_ts >= known[0]:
            tx.depend_on_table(BACKEND_STATE)
            return known[1]
        generation = self._generation
        state = backend_state(tx)
        with self._lock:
            if generation == self._generation and not self._changing:
                self._known = (tx.begin_ts, state)
        return state

    def check(self, tx: Transaction) -> None:
        """Raise `DeploymentNotRunning` unless user functions may run as of `tx`."""
        message = _message(deployment_state(self.state(tx)))
        if message is not None:
            raise DeploymentNotRunning(message)

    def is_running(self, db: Database) -> bool:
        """As of the latest published commit: the scheduler's question before it starts
        jobs or cron runs."""
        return _message(deployment_state(self.state(db.begin(read_only=True)))) is None

    @contextlib.contextmanager
    def changing(self) -> Iterator[None]:
        with self._lock:
            self._generation += 1
            self._changing += 1
            self._known = None
        try:
            yield
        finally:
            with self._lock:
                self._generation += 1
                self._changing -= 1
                self._known = None


def _set_user(tx: Transaction, user: str) -> None:
    row = _row(tx)
    if row is None:
        tx.insert(BACKEND_STATE, {**RUNNING_STATE, "user": user})
    else:
        tx.patch(row["_id"], {"user": user})


def pause(tx: Transaction) -> None:
    """Pause (audited in the same transaction); refused unless the deployment runs."""
    state = deployment_state(backend_state(tx))
    if state in ("disabled", "suspended"):
        raise PauseDeploymentFailed(
            "Deployment is currently disabled or suspended and cannot be paused."
        )
    if state == "paused":
        raise PauseDeploymentFailed("Deployment is already paused.")
    _set_user(tx, "paused")
    audit_log.record(tx, "pause_deployment", {})


def unpause(tx: Transaction) -> None:
    """Resume a paused deployment (audited in the same transaction)."""
    if backend_state(tx)["user"] != "paused":
        raise UnpauseDeploymentFailed("Deployment is not currently paused.")
    _set_user(tx, "none")
    audit_log.record(tx, "unpause_deployment", {})


def _tx(env: Environment) -> Transaction:
    assert env.db is not None
    return env.db.tx


def _deployment_state(env: Environment, args: Any) -> dict[str, str]:
    return {"state": deployment_state(backend_state(_tx(env)))}


def _backend_state(env: Environment, args: Any) -> dict[str, str]:
    return backend_state(_tx(env))


def definitions() -> list[FunctionDefinition]:
    """The dashboard's layout queries: paused banner, runner availability, Settings page."""
    return [
        FunctionDefinition(
            f"_system/frontend/{path}",
            FunctionKind.QUERY,
            False,
            handler,
            handler,
            args=args_validator({}),
        )
        for path, handler in (
            ("deploymentState:deploymentState", _deployment_state),
            ("backendState:backendState", _backend_state),
        )
    ]
