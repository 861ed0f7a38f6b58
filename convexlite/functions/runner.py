"""Runners: execute a query, mutation or action, whatever language it is written in.

A query runs in a read-only transaction at the latest snapshot; a mutation
runs in a read-write transaction and is retried on OCC conflicts with
jittered backoff (spec/database.md §5.6); an action runs outside any
transaction and reaches the database through nested query/mutation calls.

Every execution's log lines go to the `convexlite.functions` logger when it ends
(`logs.forward`), and every exception a run raises carries the lines of the
failed execution as `.log_lines` (empty when it failed before user code ran).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from typing import Any

from convexlite.database.database import Database
from convexlite.database.intervals import IntervalSet
from convexlite.database.write_log import OptimisticConcurrencyControlFailure
from convexlite.errors import BadRequestError, ConvexBackendError, ConvexError, ErrorKind
from convexlite.functions import logs
from convexlite.functions.app import FunctionDefinition, FunctionKind, FunctionSource
from convexlite.functions.context import ActionCtx, MutationCtx, QueryCtx
from convexlite.functions.query_builder import QueryBuilder
from convexlite.functions.syscalls import DatabaseSyscalls
from convexlite.functions.system import SYSTEM_PREFIX, SystemFunctions
from convexlite.functions.validators import ValidationError, validate_args, validate_returns
from convexlite.query.cursors import CursorCodec
from convexlite.values import check_value, check_value_sized
from convexlite.values.function_paths import canonical_js, canonicalize, display
from convexlite.values.limits import format_size

MAX_OCC_RETRIES = 4
MAX_ARGS_BYTES = 16 * 1024 * 1024
MAX_RETURN_BYTES = 16 * 1024 * 1024


class FunctionNotFound(BadRequestError):
    code = "FunctionNotFound"


class WrongFunctionKind(BadRequestError):
    code = "BadRequest"


class InvalidArguments(BadRequestError):
    code = "BadRequest"


class FunctionError(ConvexBackendError):
    """User code raised an exception that is not a `ConvexError`.

    The message is what Convex shows (`Uncaught ValueError: boom`); the
    original exception is the `__cause__`.
    """

    kind = ErrorKind.BAD_REQUEST
    code = "FunctionError"


class ReturnValueTooLarge(BadRequestError):
    code = "ReturnValueTooLarge"


class InvalidReturnValue(BadRequestError):
    code = "InvalidReturnValue"


@dataclass(frozen=True, slots=True)
class Execution:
    """A function's outcome: its value, its log lines and the timestamp it ran at
    (the snapshot of a query, the commit of a mutation)."""

    value: Any
    log_lines: list[str]
    ts: int | None = None


@dataclass(frozen=True, slots=True)
class QueryOutcome:
    """A query run for a live subscription: its value or error, and what it depended on."""

    value: Any
    error: BaseException | None
    log_lines: list[str]
    ts: int
    reads: dict[bytes, IntervalSet]
    journal: str | None


def _attach_logs(exc: BaseException, lines: list[str]) -> None:
    exc.log_lines = lines  # type: ignore[attr-defined]


def _user_code(call: Callable[[], Any]) -> Any:
    """Run user code, turning foreign exceptions into Convex-style function errors."""
    try:
        return call()
    except ConvexError as exc:
        _check_convex_error(exc)
        raise
    except ConvexBackendError:
        raise
    except (Exception, SystemExit) as exc:
        raise _uncaught(exc) from exc


def _uncaught(exc: BaseException) -> FunctionError:
    """`Uncaught ValueError: boom`; `sys.exit()` in a function must not end the process."""
    text = str(exc)
    name = type(exc).__name__
    return FunctionError(f"Uncaught {name}: {text}" if text else f"Uncaught {name}")


def _check_convex_error(exc: ConvexError) -> None:
    """Normalize the error's data as a return value would be (spec/protocol.md §4.3)."""
    try:
        exc.data = check_value(exc.data)
    except ConvexBackendError as invalid:
        raise FunctionError(f"ConvexError with invalid data: {invalid.message}") from exc


class FunctionRunner:
    def __init__(self, db: Database, source: FunctionSource, cursors: CursorCodec) -> None:
        self.db = db
        self.source = source
        self.system = SystemFunctions(source)
        self.cursors = cursors
        logs.install()

    # ---- resolution and validation --------------------------------------------------------

    def resolve(self, path: str, kind: FunctionKind, *, internal_ok: bool) -> FunctionDefinition:
        canonical = canonicalize(path)
        if canonical.startswith(SYSTEM_PREFIX):
            fn = self.system.lookup(canonical) if internal_ok else None
        else:
            fn = self.source.lookup(canonical)
        if fn is None or (not fn.public and not internal_ok):
            raise FunctionNotFound(f"Could not find public function for '{display(canonical)}'.")
        if fn.kind is not kind:
            raise WrongFunctionKind(
                f"Trying to execute {canonical_js(canonical)} as {kind.value}, but it is defined "
                f"as {fn.kind.value}."
            )
        return fn

    def _table_name_of(self, number: int) -> str | None:
        table = self.db.registry.tables_by_number.get(number)
        return table.name if table else None

    def _arguments(self, fn: FunctionDefinition, args: Any) -> Any:
        if args is None:
            args = {}
        try:
            args, size = check_value_sized(args)
        except ConvexBackendError as exc:
            raise InvalidArguments(
                f"Invalid arguments for {canonical_js(fn.path)}: {exc.message}"
            ) from None
        if size > MAX_ARGS_BYTES:
            raise InvalidArguments(
                f"Arguments for {canonical_js(fn.path)} are too large "
                f"(actual: {format_size(size)}, limit: {format_size(MAX_ARGS_BYTES)})"
            )
        return validate_args(fn.args, args, table_name_of=self._table_name_of)

    def _result(self, fn: FunctionDefinition, value: Any) -> Any:
        try:
            value, size = check_value_sized(value)
        except ConvexBackendError as exc:
            hint = ""
            if isinstance(value, QueryBuilder):
                hint = " Call .collect(), .take(n), .first() or .unique() to run the query."
            raise InvalidReturnValue(
                f"Function {canonical_js(fn.path)} returned a value that is not a Convex "
                f"value: {exc.message}.{hint}"
            ) from None
        if size > MAX_RETURN_BYTES:
            raise ReturnValueTooLarge(
                f"Function {canonical_js(fn.path)} return value is too large "
                f"(actual: {format_size(size)}, limit: {format_size(MAX_RETURN_BYTES)})"
            )
        if fn.returns is not None:
            value = validate_returns(fn.returns, value, table_name_of=self._table_name_of)
        return value

    # ---- queries and mutations ------------------------------------------------------------

    def _prepare(
        self, path: str, kind: FunctionKind, args: Any, internal_ok: bool
    ) -> tuple[FunctionDefinition, Any]:
        try:
            fn = self.resolve(path, kind, internal_ok=internal_ok)
            return fn, self._arguments(fn, args)
        except BaseException as exc:
            _attach_logs(exc, [])
            raise

    def run_query(
        self,
        path: str,
        args: Any = None,
        *,
        identity: dict[str, Any] | None = None,
        internal_ok: bool = False,
        at_ts: int | None = None,
    ) -> Execution:
        """Run a query at the latest snapshot, or at the published timestamp `at_ts`."""
        tx = self.db.begin(read_only=True) if at_ts is None else self.db.begin_at(at_ts)
        syscalls = DatabaseSyscalls(tx, self.cursors)
        return self._query_in(syscalls, path, args, identity, internal_ok)

    def execute_query(
        self,
        path: str,
        args: Any = None,
        *,
        identity: dict[str, Any] | None = None,
        journal: str | None = None,
        internal_ok: bool = False,
    ) -> QueryOutcome:
        """Run a query for a live subscription: errors are returned, and so is the read set."""
        tx = self.db.begin(read_only=True)
        syscalls = DatabaseSyscalls(tx, self.cursors, journal)
        try:
            execution = self._query_in(syscalls, path, args, identity, internal_ok)
        except (ConvexError, ConvexBackendError) as exc:
            lines = getattr(exc, "log_lines", [])
            return QueryOutcome(None, exc, lines, tx.begin_ts, tx.read_set(), syscalls.journal)
        return QueryOutcome(
            execution.value, None, execution.log_lines, tx.begin_ts, tx.read_set(), syscalls.journal
        )

    def _query_in(
        self,
        syscalls: DatabaseSyscalls,
        path: str,
        args: Any,
        identity: dict[str, Any] | None,
        internal_ok: bool,
    ) -> Execution:
        fn, args = self._prepare(path, FunctionKind.QUERY, args, internal_ok)
        tx = syscalls.tx
        with logs.capture() as collector:
            try:
                ctx = QueryCtx(syscalls, identity)
                value = self._result(fn, _user_code(lambda: fn.handler(ctx, args)))
            except BaseException as exc:
                _attach_logs(exc, collector.lines)
                raise
            finally:
                collector.flush()
                logs.forward(display(fn.path), collector.lines)
        return Execution(value, collector.lines, tx.begin_ts)

    def run_mutation(
        self,
        path: str,
        args: Any = None,
        *,
        identity: dict[str, Any] | None = None,
        internal_ok: bool = False,
        sync: bool = True,
    ) -> Execution:
        fn, args = self._prepare(path, FunctionKind.MUTATION, args, internal_ok)
        return self.run_in_mutation(
            lambda ctx: self._result(fn, fn.handler(ctx, args)),
            identity=identity,
            name=display(fn.path),
            sync=sync,
        )

    def run_in_mutation(
        self,
        body: Callable[[MutationCtx], Any],
        *,
        identity: dict[str, Any] | None = None,
        name: str | None = None,
        sync: bool = True,
    ) -> Execution:
        """Run `body(ctx)` in a read-write transaction, retrying OCC conflicts, and commit.

        `name` labels the lines forwarded to the `convexlite.functions` logger; only
        the last attempt's lines are kept, as a retried attempt never happened.
        Mutations start from the latest written commit, durable or not (a
        commit with `sync=True` makes every earlier one durable too). With
        `sync=False` the commit itself is not durable yet either: the caller
        must `db.sync()` before reporting success.
        """
        for attempt in range(MAX_OCC_RETRIES + 1):
            tx = self.db.begin(unsynced=True)
            with logs.capture() as collector:
                try:
                    ctx = MutationCtx(DatabaseSyscalls(tx, self.cursors), identity)
                    value = _user_code(partial(body, ctx))
                    ts = self.db.commit(tx, sync=sync)
                except OptimisticConcurrencyControlFailure as exc:
                    if attempt == MAX_OCC_RETRIES:
                        _attach_logs(exc, collector.lines)
                        _forward(name, collector)
                        raise
                    time.sleep(random.uniform(0, 1) * min(0.1 * 2**attempt, 2.0))
                    continue
                except BaseException as exc:
                    _attach_logs(exc, collector.lines)
                    _forward(name, collector)
                    raise
                _forward(name, collector)
            return Execution(value, collector.lines, ts)
        raise AssertionError("unreachable")

    # ---- actions --------------------------------------------------------------------------

    async def run_action(
        self,
        path: str,
        args: Any = None,
        *,
        executor: Executor | None = None,
        identity: dict[str, Any] | None = None,
        internal_ok: bool = False,
        sync_commits: bool = True,
    ) -> Execution:
        """Run on the current event loop; nested queries and mutations use `executor`.

        `sync_commits=False` is for an executor that syncs the database itself
        before releasing results (a `BatchingExecutor`).

        A plain (non-async) handler runs on a thread of its own rather than on
        `executor`: it blocks while its nested calls run there, and sharing the pool
        would deadlock once every worker held a waiting action.
        """
        fn, args = self._prepare(path, FunctionKind.ACTION, args, internal_ok)
        loop = asyncio.get_running_loop()

        async def nested(call: Callable[[], Execution]) -> Any:
            return (await loop.run_in_executor(executor, call)).value

        async def nested_action(p: str, a: dict[str, Any]) -> Any:
            execution = await self.run_action(
                p,
                a,
                executor=executor,
                identity=identity,
                internal_ok=True,
                sync_commits=sync_commits,
            )
            return execution.value

        ctx = ActionCtx(
            loop,
            identity,
            lambda p, a: nested(
                partial(self.run_query, p, a, identity=identity, internal_ok=True)
            ),
            lambda p, a: nested(
                partial(
                    self.run_mutation, p, a, identity=identity, internal_ok=True, sync=sync_commits
                )
            ),
            nested_action,
        )
        with logs.capture() as collector:
            try:
                if fn.is_async:
                    value = await _await_user_code(fn.handler(ctx, args))
                else:
                    value = await _on_own_thread(
                        _in_context(collector, lambda: _user_code(lambda: fn.handler(ctx, args)))
                    )
                value = self._result(fn, value)
            except BaseException as exc:
                _attach_logs(exc, collector.lines)
                raise
            finally:
                collector.flush()
                logs.forward(display(fn.path), collector.lines)
        return Execution(value, collector.lines)


def _forward(name: str | None, collector: logs.LogCollector) -> None:
    collector.flush()
    if name is not None:
        logs.forward(name, collector.lines)


async def _await_user_code(awaitable: Any) -> Any:
    try:
        return await awaitable
    except ConvexError as exc:
        _check_convex_error(exc)
        raise
    except ConvexBackendError:
        raise
    except (Exception, SystemExit) as exc:
        raise _uncaught(exc) from exc


async def _on_own_thread(call: Callable[[], Any]) -> Any:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(ok: bool, outcome: Any) -> None:
        if future.cancelled():
            return
        if ok:
            future.set_result(outcome)
        else:
            future.set_exception(outcome)

    def run() -> None:
        try:
            outcome, ok = call(), True
        except BaseException as exc:
            outcome, ok = exc, False
        with contextlib.suppress(RuntimeError):  # the loop closed while the action ran
            loop.call_soon_threadsafe(settle, ok, outcome)

    threading.Thread(target=run, name="convexlite-action", daemon=True).start()
    return await future


def _in_context(collector: logs.LogCollector, call: Callable[[], Any]) -> Callable[[], Any]:
    """Wrap `call` so its output lands in `collector` on whatever thread runs it."""

    def run() -> Any:
        token = logs.current.set(collector)
        try:
            return call()
        finally:
            logs.current.reset(token)

    return run


__all__ = ["Execution", "FunctionError", "FunctionRunner", "ValidationError"]
