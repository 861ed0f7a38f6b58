"""Runners: execute a query, mutation, action or HTTP action, whatever language it is in.

Functions come from a `FunctionRegistry` and are invoked with an
`Environment`. A query runs in a read-only transaction at the latest
snapshot; a mutation runs in a read-write transaction and is retried on OCC
conflicts with jittered backoff (spec/database.md §5.6); an action (and an
HTTP action) runs outside any transaction and reaches the database through
nested calls, which the runner performs for it (`ActionCallbacks`).

A query or mutation is written once, as a `Flow` that yields where its user code
runs: `drive` runs that code in place (any thread), `drive_awaiting` awaits it when
it has an awaitable form (JavaScript, which runs on V8's own thread), so one code
path serves threads and event loops alike.

Every execution's log lines go to the `convexlite.functions` logger when it ends
(`logs.forward`) and, as a Completion entry, to the runner's `FunctionLog` (the
stream `npx convex logs` tails; not for `_system/` functions). Actions' and HTTP
actions' lines go to the stream as Progress entries while they run. Every
exception a run raises carries the lines of the failed execution as
`.log_lines` (empty when it failed before user code ran).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from convexlite.auth.identity import UnverifiedIdentity
from convexlite.database.database import Database
from convexlite.database.intervals import IntervalSet
from convexlite.database.namespace import ROOT, TableNamespace, namespace_of_function
from convexlite.database.transaction import Transaction
from convexlite.database.write_log import OptimisticConcurrencyControlFailure
from convexlite.errors import BadRequestError, ConvexBackendError, ConvexError, ErrorKind
from convexlite.functions import function_log, logs
from convexlite.functions.context import MutationCtx
from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.functions.deployment import DeploymentConfig
from convexlite.functions.environment import Environment
from convexlite.functions.environment_variables import EnvironmentVariables
from convexlite.functions.files import FileStorage
from convexlite.functions.function_log import ACTION_CALLER, HTTP_CALLER, FunctionLog
from convexlite.functions.http import match_route, text_response
from convexlite.functions.metrics import (
    RUNNING,
    FunctionMetrics,
    concurrency_gauge,
    function_key,
)
from convexlite.functions.query_builder import QueryBuilder
from convexlite.functions.references import below, not_exported
from convexlite.functions.registry import FunctionRegistry, RegistrySnapshot
from convexlite.functions.scheduler import (
    ActionScheduler,
    JobNotPending,
    ScheduledRun,
    TransactionScheduler,
)
from convexlite.functions.session_requests import MutationAlreadyRan, SessionRequest
from convexlite.functions.storage_syscalls import ActionStorage, TransactionStorage
from convexlite.functions.syscalls import DatabaseSyscalls
from convexlite.functions.system import components
from convexlite.functions.system.deployment_state import RunningCheck
from convexlite.functions.validators import ValidationError, validate_args, validate_returns
from convexlite.query.cursors import CursorCodec
from convexlite.query.search_usage import SearchUsage
from convexlite.query.vector_search import VectorIndexes
from convexlite.search.vector_query import parse_vector_query
from convexlite.values import check_value, check_value_sized
from convexlite.values.function_paths import canonical_js, canonicalize, display, split_component
from convexlite.values.http import HttpRequest, HttpResponse
from convexlite.values.limits import format_size

T = TypeVar("T")
MAX_OCC_RETRIES = 4
MAX_CALL_DEPTH = 8
MAX_ARGS_BYTES = 16 * 1024 * 1024
MAX_RETURN_BYTES = 16 * 1024 * 1024
USER_SLOT = "app"
NO_HTTP_ACTIONS = "This Convex deployment does not have HTTP actions enabled."
NO_MATCHING_ROUTE = "No matching routes found"


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


class MaximumCallDepthExceeded(BadRequestError):
    code = "MaximumCallDepthExceeded"


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
class TrackedExecution:
    """A query run for a live subscription: its value or error, and what it depended on."""

    value: Any
    error: BaseException | None
    log_lines: list[str]
    ts: int
    reads: dict[bytes, IntervalSet]
    journal: str | None


def _attach_logs(exc: BaseException, lines: list[str]) -> None:
    exc.log_lines = lines  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class UserCode:
    """What a flow asks its driver to run: `invoke(env, args)` or, where the driver
    may await, `awaitable(env, args)` (the same run, waited for without blocking)."""

    invoke: Callable[[Environment, Any], Any]
    awaitable: Callable[[Environment, Any], Awaitable[Any]] | None
    env: Environment
    args: Any


Flow = Generator[UserCode, Any, T]
"""A query or mutation run up to its user code: the driver runs the `UserCode` it
yields and sends the value back (or throws the error in), until the flow returns."""


def drive(flow: Flow[T]) -> T:
    """Run `flow` to its end here, its user code included."""
    steps = _drive(flow, awaiting=False)
    try:
        steps.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    steps.close()
    raise RuntimeError("a flow driven in place waited for something")


async def drive_awaiting(flow: Flow[T]) -> T:
    """`drive`, awaiting user code that has an awaitable form (JavaScript waits on V8
    elsewhere, so the loop serves others meanwhile); the rest runs on this loop."""
    return await _drive(flow, awaiting=True)


async def _drive(flow: Flow[T], *, awaiting: bool) -> T:
    """The one driver: with `awaiting=False` nothing in it suspends, so `drive` finishes
    the coroutine with a single `send`."""
    try:
        code = next(flow)
        while True:
            try:
                if awaiting and code.awaitable is not None:
                    value = await _await_user_code(code.awaitable(code.env, code.args))
                else:
                    value = _user_code(code.invoke, code.env, code.args)
            except BaseException as exc:
                code = flow.throw(exc)
            else:
                code = flow.send(value)
    except StopIteration as done:
        result: T = done.value
        return result


def _user_code(call: Callable[..., Any], *args: Any) -> Any:
    """Run user code, turning foreign exceptions into Convex-style function errors."""
    try:
        return call(*args)
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
    def __init__(
        self,
        db: Database,
        registry: FunctionRegistry,
        cursors: CursorCodec,
        function_log: FunctionLog | None = None,
        variables: EnvironmentVariables | None = None,
        files: FileStorage | None = None,
        metrics: FunctionMetrics | None = None,
        vector_indexes: VectorIndexes | None = None,
    ) -> None:
        self.db = db
        self.vector_indexes = vector_indexes if vector_indexes is not None else VectorIndexes(db)
        """What `vectorSearch` in actions searches; the engine keeps it in step with the schema."""
        self.registry = registry
        self.cursors = cursors
        self.function_log = function_log if function_log is not None else FunctionLog()
        self.metrics = metrics if metrics is not None else FunctionMetrics()
        self.running_check = RunningCheck()
        """Whether user functions may run (not while the deployment is paused)."""
        self.variables = variables
        self.files = files
        logs.install()

    def _record(
        self,
        udf_type: str,
        identifier: str,
        handler: Any,
        identity: dict[str, Any] | None,
        caller: str | None,
    ) -> _Record | None:
        """The log-stream record of an execution starting now (None for system functions,
        also inside a component: `tally|_system/...`)."""
        if identifier.startswith("_system/") or "|_system/" in identifier:
            return None
        return _Record(
            self.function_log,
            self.metrics,
            udf_type,
            identifier,
            handler,
            identity,
            caller,
            SearchUsage(self.vector_indexes.specs),
        )

    def _check_running(self) -> None:
        """Refuse a user action (outside any transaction) while the deployment is paused."""
        self.running_check.check(self.db.begin(read_only=True))

    def check(self, config: DeploymentConfig, *, slot: str = USER_SLOT) -> None:
        """Raise what `apply` would raise for `config`, changing nothing."""
        self.registry.check(slot, config.functions, config.http_routes)

    def apply(self, config: DeploymentConfig, *, slot: str = USER_SLOT) -> RegistrySnapshot:
        """Serve `config`'s functions and HTTP routes from now on, replacing the slot's
        previous ones in one swap (the schema is the engine's to apply)."""
        return self.registry.install(slot, config.functions, config.http_routes)

    # ---- resolution and validation --------------------------------------------------------

    def describe(self, path: str, *, internal_ok: bool) -> FunctionDefinition | None:
        """The function at `path` if this caller may see it: public ones for everyone,
        internal and `_system/` ones only with `internal_ok` (an admin or a function)."""
        canonical = canonicalize(path)
        fn = self.registry.lookup(canonical)
        if fn is None or (not fn.public and not internal_ok):
            return None
        if not internal_ok and split_component(canonical)[0]:
            return None  # a component's functions are its parent's to call
        return fn

    def resolve(self, path: str, kind: FunctionKind, *, internal_ok: bool) -> FunctionDefinition:
        """`describe`, for running as `kind`: raises if not visible or of another kind."""
        fn = self.describe(path, internal_ok=internal_ok)
        component = split_component(canonicalize(path))[0]
        if fn is None and internal_ok and component:
            if components.is_unmounted(self.db.begin(read_only=True), component):
                raise components.ComponentUnmounted(
                    f'Component "{component}" is unmounted: {display(canonicalize(path))} '
                    "cannot be called until convex.config.ts uses the component again"
                )
            raise not_exported(canonicalize(path))
        if fn is None:
            raise FunctionNotFound(
                f"Could not find public function for '{display(canonicalize(path))}'."
            )
        if fn.kind is not kind:
            raise WrongFunctionKind(
                f"Trying to execute {canonical_js(fn.path)} as {kind.value}, but it is defined "
                f"as {fn.kind.value}."
            )
        return fn

    def _table_names_of(self, fn: FunctionDefinition) -> Callable[[int], str | None]:
        """How `v.id(table)` validators of `fn` name the table of an id's number: by the
        name `fn`'s component knows it by (None for another component's table)."""
        namespace = namespace_of_function(fn.path)

        def table_name_of(number: int) -> str | None:
            table = self.db.registry.tables_by_number.get(number)
            return namespace.user_name(table.name) if table else None

        return table_name_of

    def _check_export(self, caller: str, path: str) -> None:
        """Refuse a call from a function of the component at `caller` into a component below
        it that reaches a function the component does not export (an internal one)."""
        target = canonicalize(path)
        if below(split_component(target)[0], caller):
            fn = self.registry.lookup(target)
            if fn is not None and not fn.public:
                raise not_exported(target)

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
        return validate_args(fn.args, args, table_name_of=self._table_names_of(fn))

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
            value = validate_returns(fn.returns, value, table_name_of=self._table_names_of(fn))
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
        caller: str | None = None,
    ) -> Execution:
        """Run a query at the latest snapshot, or at the published timestamp `at_ts`.
        `caller` names who asked, for the log stream (`SyncWorker` when not given)."""
        return drive(self.query_flow(path, args, identity, internal_ok, at_ts, caller))

    def query_flow(
        self,
        path: str,
        args: Any,
        identity: dict[str, Any] | None,
        internal_ok: bool,
        at_ts: int | None = None,
        caller: str | None = None,
    ) -> Flow[Execution]:
        """`run_query` as a flow, for `drive` or `drive_awaiting`."""
        tx = self.db.begin(read_only=True) if at_ts is None else self.db.begin_at(at_ts)
        syscalls = DatabaseSyscalls(tx, self.cursors)
        return self._query_in(syscalls, path, args, identity, internal_ok, caller)

    def run_query_tracked(
        self,
        path: str,
        args: Any = None,
        *,
        identity: dict[str, Any] | None = None,
        journal: str | None = None,
        internal_ok: bool = False,
    ) -> TrackedExecution:
        """Run a query for a live subscription: errors are returned, and so is the read set."""
        return drive(self.tracked_query_flow(path, args, identity, journal, internal_ok))

    def tracked_query_flow(
        self,
        path: str,
        args: Any,
        identity: dict[str, Any] | None,
        journal: str | None,
        internal_ok: bool,
    ) -> Flow[TrackedExecution]:
        """`run_query_tracked` as a flow."""
        tx = self.db.begin(read_only=True)
        syscalls = DatabaseSyscalls(tx, self.cursors, journal)
        try:
            execution = yield from self._query_in(syscalls, path, args, identity, internal_ok)
        except (ConvexError, ConvexBackendError) as exc:
            lines = getattr(exc, "log_lines", [])
            return TrackedExecution(
                None, exc, lines, tx.begin_ts, tx.read_set(), syscalls.journal
            )
        return TrackedExecution(
            execution.value, None, execution.log_lines, tx.begin_ts, tx.read_set(), syscalls.journal
        )

    def _query_in(
        self,
        syscalls: DatabaseSyscalls,
        path: str,
        args: Any,
        identity: dict[str, Any] | None,
        internal_ok: bool,
        caller: str | None = None,
    ) -> Flow[Execution]:
        fn, args = self._prepare(path, FunctionKind.QUERY, args, internal_ok)
        return (yield from self._run_query(syscalls, fn, args, identity, caller))

    def one_off_query_flow(
        self,
        fn: FunctionDefinition,
        args: Any,
        identity: dict[str, Any] | None,
        caller: str,
    ) -> Flow[Execution]:
        """A query that is not deployed (a test query, `/api/run_test_function`), run once at
        the latest snapshot in the namespace its path names, for the log stream as `caller`."""
        try:
            args = self._arguments(fn, args)
        except BaseException as exc:
            _attach_logs(exc, [])
            raise
        syscalls = DatabaseSyscalls(self.db.begin(read_only=True), self.cursors)
        return (yield from self._run_query(syscalls, fn, args, identity, caller))

    def _run_query(
        self,
        syscalls: DatabaseSyscalls,
        fn: FunctionDefinition,
        args: Any,
        identity: dict[str, Any] | None,
        caller: str | None,
    ) -> Flow[Execution]:
        tx = syscalls.tx
        record = self._record("Query", display(fn.path), fn.handler, identity, caller)
        error: BaseException | None = None
        namespace = namespace_of_function(fn.path)
        with logs.capture() as collector, syscalls.switched_to(namespace) as db:
            try:
                if record is not None:
                    self.running_check.check(tx)
                env = InTransactionCalls.environment(self, identity, collector, db)
                code = UserCode(fn.invoke, fn.invoke_awaitable, env, args)
                value = self._result(fn, (yield code))
            except BaseException as exc:
                error = exc
                _attach_logs(exc, collector.lines)
                raise
            finally:
                collector.flush()
                logs.forward(display(fn.path), collector.lines)
                if record is not None:
                    record.complete(collector, error, tx=tx)
        return Execution(value, collector.lines, tx.begin_ts)

    def run_mutation(
        self,
        path: str,
        args: Any = None,
        *,
        identity: dict[str, Any] | None = None,
        internal_ok: bool = False,
        durable: bool = True,
        caller: str | None = None,
        retry_conflicts: bool = True,
    ) -> Execution:
        """Run a mutation and commit it. With `retry_conflicts=False` an OCC conflict is
        raised at once, with nothing logged, for the caller to run the mutation again
        where a backoff may sleep (an event loop may not)."""
        return drive(
            self.mutation_flow(path, args, identity, internal_ok, durable, caller, retry_conflicts)
        )

    def mutation_flow(
        self,
        path: str,
        args: Any,
        identity: dict[str, Any] | None,
        internal_ok: bool,
        durable: bool,
        caller: str | None = None,
        retry_conflicts: bool = True,
        job: ScheduledRun | None = None,
        session: SessionRequest | None = None,
    ) -> Flow[Execution]:
        """`run_mutation` as a flow; a scheduled mutation's `job` completes in its transaction,
        a sync client's `session` request is recorded in it (raising `MutationAlreadyRan`
        instead of running it again)."""
        fn, args = self._prepare(path, FunctionKind.MUTATION, args, internal_ok)
        return self._mutate(
            fn.invoke,
            fn.invoke_awaitable,
            args,
            finish=lambda value: self._result(fn, value),
            identity=identity,
            name=display(fn.path),
            durable=durable,
            record=self._record("Mutation", display(fn.path), fn.handler, identity, caller),
            retry_conflicts=retry_conflicts,
            job=job,
            session=session,
            namespace=namespace_of_function(fn.path),
        )

    def transaction_flow(
        self, body: Callable[[Transaction], T], *, durable: bool, retry_conflicts: bool
    ) -> Flow[T]:
        """`body(tx)` committed in a read-write transaction of its own, retried on conflicts
        like a mutation: the engine's own small writes (an action scheduling a job, the
        scheduler moving one along)."""

        def invoke(env: Environment, _: Any) -> T:
            assert env.db is not None
            return body(env.db.tx)

        execution = yield from self._mutate(
            invoke,
            None,
            None,
            identity=None,
            name=None,
            durable=durable,
            retry_conflicts=retry_conflicts,
        )
        result: T = execution.value
        return result

    def _lookup(self, path: str) -> FunctionDefinition | None:
        return self.registry.lookup(path)

    def run_in_mutation(
        self,
        body: Callable[[MutationCtx], Any],
        *,
        identity: dict[str, Any] | None = None,
        name: str | None = None,
        durable: bool = True,
    ) -> Execution:
        """Run `body(ctx)` in a read-write transaction, as a Python mutation would run."""
        return drive(
            self._mutate(
                lambda env, _: body(MutationCtx(env)),
                None,
                None,
                identity=identity,
                name=name,
                durable=durable,
            )
        )

    def _mutate(
        self,
        invoke: Callable[[Environment, Any], Any],
        awaitable: Callable[[Environment, Any], Awaitable[Any]] | None,
        args: Any,
        *,
        identity: dict[str, Any] | None,
        name: str | None,
        durable: bool,
        record: _Record | None = None,
        retry_conflicts: bool = True,
        finish: Callable[[Any], Any] = lambda value: value,
        job: ScheduledRun | None = None,
        session: SessionRequest | None = None,
        namespace: TableNamespace = ROOT,
    ) -> Flow[Execution]:
        """Run `invoke(env, args)` (or `awaitable`) in a read-write transaction, retrying OCC
        conflicts, and commit what `finish` made of its value.

        `name` labels the lines forwarded to the `convexlite.functions` logger; only
        the last attempt's lines are kept, as a retried attempt never happened.
        Mutations start from the latest written commit, durable or not (a
        commit with `durable=True` makes every earlier one durable too). With
        `durable=False` the commit itself is not durable yet either: the caller
        must `db.flush()` before reporting success.
        """
        for attempt in range(MAX_OCC_RETRIES + 1):
            tx = self.db.begin(include_unflushed=True)
            with logs.capture() as collector:
                try:
                    if record is not None:
                        tx.write_source = record.key
                        self.running_check.check(tx)
                    syscalls = DatabaseSyscalls(tx, self.cursors, namespace=namespace)
                    env = InTransactionCalls.environment(
                        self, identity, collector, syscalls, writable=True
                    )
                    env.scheduler = TransactionScheduler(
                        tx, self._lookup, self.db.store.clock, job, namespace
                    )
                    if job is not None:
                        job.begin(tx)
                    if session is not None:
                        session.begin(tx)
                    value = finish((yield UserCode(invoke, awaitable, env, args)))
                    if job is not None:
                        job.succeed(tx, value, collector.lines)
                    if session is not None:
                        session.succeed(tx, value, collector.lines)
                    ts = self.db.commit(tx, durable=durable)
                except OptimisticConcurrencyControlFailure as exc:
                    self.metrics.conflicted()
                    if not retry_conflicts:
                        if record is not None:
                            record.abandon()
                        raise
                    if attempt == MAX_OCC_RETRIES:
                        _attach_logs(exc, collector.lines)
                        _forward(name, collector, record, exc, tx)
                        raise
                    time.sleep(random.uniform(0, 1) * min(0.1 * 2**attempt, 2.0))
                    continue
                except (JobNotPending, MutationAlreadyRan):
                    if record is not None:
                        record.abandon()
                    raise
                except BaseException as exc:
                    _attach_logs(exc, collector.lines)
                    _forward(name, collector, record, exc, tx)
                    raise
                _forward(name, collector, record, None, tx)
            return Execution(value, collector.lines, ts)
        raise AssertionError("unreachable")

    # ---- actions --------------------------------------------------------------------------

    async def run_action(
        self,
        path: str,
        args: Any = None,
        *,
        calls: TransactionCalls,
        identity: dict[str, Any] | None = None,
        internal_ok: bool = False,
        caller: str | None = None,
        job: ScheduledRun | None = None,
    ) -> Execution:
        """Run on the current event loop; nested queries and mutations go to `calls`.

        A plain (non-async) handler runs on a thread of its own rather than on
        the function thread: it blocks while its nested calls run there, and sharing
        a pool would deadlock once every worker held a waiting action.
        """
        fn, args = self._prepare(path, FunctionKind.ACTION, args, internal_ok)
        caller_component = split_component(fn.path)[0]
        record = self._record("Action", display(fn.path), fn.handler, identity, caller)
        nested = NestedCalls(
            calls,
            identity,
            self._vector_search(namespace_of_function(fn.path), record),
            lambda target: self._check_export(caller_component, target),
            parent=record,
        )
        error: BaseException | None = None
        with logs.capture() as collector:
            if record is not None:
                collector.on_line = record.progress
            try:
                if record is not None:
                    self._check_running()
                env = self._action_environment(
                    nested, collector, calls, job, namespace_of_function(fn.path)
                )
                value = await _invoke_action(fn.invoke, fn.is_async, env, args, collector)
                value = self._result(fn, value)
            except BaseException as exc:
                error = exc
                _attach_logs(exc, collector.lines)
                raise
            finally:
                collector.flush()
                logs.forward(display(fn.path), collector.lines)
                if record is not None:
                    record.complete(collector, error, lines_streamed=True)
        return Execution(value, collector.lines)

    def _action_environment(
        self,
        nested: NestedCalls,
        collector: logs.LogCollector,
        calls: TransactionCalls,
        job: ScheduledRun | None,
        namespace: TableNamespace,
    ) -> Environment:
        """An action's syscalls: its nested calls, and a scheduler and file storage (of
        `namespace`) whose every call is a transaction of its own."""
        env = Environment(
            nested.identity, collector, actions=nested, loop=nested.loop, variables=self.variables
        )
        env.scheduler = ActionScheduler(
            calls.transaction, self._lookup, self.db.store.clock, job, namespace
        )
        env.functions = self._lookup
        if self.files is not None:
            env.storage = ActionStorage(self.files, calls.transaction, namespace)
        return env

    def _vector_search(self, namespace: TableNamespace, record: _Record | None) -> VectorSearch:
        """`vectorSearch` for an action whose tables are `namespace`'s, counted in the usage
        of its `record`."""
        usage = record.usage if record is not None else None

        def search(raw: Any) -> list[dict[str, Any]]:
            query = parse_vector_query(raw)
            return self.vector_indexes.search(namespace.engine_name(query.table), query, usage)

        return search

    async def run_http_action(
        self,
        request: HttpRequest,
        *,
        calls: TransactionCalls,
        identity: dict[str, Any] | None = None,
        identity_error: Exception | None = None,
    ) -> HttpResponse:
        """Answer `request` with the deployment's HTTP routes (spec/protocol.md §3.6).
        A token that did not verify (`identity_error`) is raised by `getUserIdentity()`.

        Without routes, or without one matching, the answer is the 404 Convex
        gives. A failing route raises its error, carrying the route's log lines
        as `.log_lines`, for the transport to render; its lines are forwarded as
        `METHOD /path`. Nested calls run as in `run_action`.
        """
        routes = self.registry.current.http_routes
        if not routes:
            return text_response(404, NO_HTTP_ACTIONS)
        self._check_running()
        route = match_route(routes, request.method, request.path)
        if route is None:
            return text_response(404, NO_MATCHING_ROUTE)
        record = self._record("HttpAction", route.name, route.handler, identity, HTTP_CALLER)
        search = self._vector_search(TableNamespace(route.component), record)
        nested = NestedCalls(calls, identity, search, parent=record)
        error: BaseException | None = None
        response: HttpResponse | None = None
        with logs.capture() as collector:
            if record is not None:
                collector.on_line = record.progress
            try:
                env = self._action_environment(
                    nested, collector, calls, None, TableNamespace(route.component)
                )
                if identity_error is not None:
                    env.identity = UnverifiedIdentity(identity_error)
                response = await _invoke_action(
                    route.invoke, route.is_async, env, request, collector
                )
                return response
            except BaseException as exc:
                error = exc
                _attach_logs(exc, collector.lines)
                raise
            finally:
                collector.flush()
                logs.forward(route.name, collector.lines)
                if record is not None:
                    record.complete(
                        collector, error, lines_streamed=True, http_response=response
                    )


class TransactionCalls(Protocol):
    """Where an async caller's queries and mutations run (`functions/dispatch.py`)."""

    async def query(
        self,
        path: str,
        args: Any,
        *,
        identity: dict[str, Any] | None,
        internal_ok: bool,
        caller: str | None = None,
    ) -> Execution: ...

    async def mutation(
        self,
        path: str,
        args: Any,
        *,
        identity: dict[str, Any] | None,
        internal_ok: bool,
        caller: str | None = None,
    ) -> Execution: ...

    async def action(
        self,
        path: str,
        args: Any,
        *,
        identity: dict[str, Any] | None,
        internal_ok: bool,
        caller: str | None = None,
    ) -> Execution: ...

    async def transaction(self, body: Callable[[Transaction], T]) -> T: ...


VectorSearch = Callable[[Any], list[dict[str, Any]]]
"""A vector search request (`1.0/actions/vectorSearch`'s `query`) → `[{_id, _score}]`."""


class NestedCalls:
    """The `ActionCallbacks` of one action run: calls made as its caller, internal
    functions allowed, queries and mutations where `calls` runs them, vector searches
    by `search` (on a worker thread, as it reads storage)."""

    __slots__ = ("_calls", "_check", "_search", "identity", "loop", "parent")

    def __init__(
        self,
        calls: TransactionCalls,
        identity: dict[str, Any] | None,
        search: VectorSearch,
        check: Callable[[str], None] = lambda path: None,
        *,
        parent: _Record | None = None,
    ) -> None:
        """`check(path)` raises if the action may not call `path` (`_check_export`);
        `parent` is the logged execution making the calls."""
        self._calls = calls
        self._check = check
        self._search = search
        self.identity = identity
        self.loop = asyncio.get_running_loop()
        self.parent = parent.as_parent() if parent is not None else None
        """The action making these calls, as their log entries name it."""

    async def run_query(self, path: str, args: dict[str, Any]) -> Any:
        self._check(path)
        with function_log.nested_in(self.parent):
            execution = await self._calls.query(
                path, args, identity=self.identity, internal_ok=True, caller=ACTION_CALLER
            )
        return execution.value

    async def run_mutation(self, path: str, args: dict[str, Any]) -> Any:
        self._check(path)
        with function_log.nested_in(self.parent):
            execution = await self._calls.mutation(
                path, args, identity=self.identity, internal_ok=True, caller=ACTION_CALLER
            )
        return execution.value

    async def run_action(self, path: str, args: dict[str, Any]) -> Any:
        self._check(path)
        with function_log.nested_in(self.parent):
            execution = await self._calls.action(
                path, args, identity=self.identity, internal_ok=True, caller=ACTION_CALLER
            )
        return execution.value

    async def vector_search(self, query: Any) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self._search, query)


async def _invoke_action(
    invoke: Callable[..., Any],
    is_async: bool,
    env: Environment,
    arg: Any,
    collector: logs.LogCollector,
) -> Any:
    """Run an action's user code: on the loop if async, else on a thread of its own."""
    if is_async:
        return await _await_user_code(invoke(env, arg))
    blocking = _in_context(collector, lambda: _user_code(invoke, env, arg))
    return await _on_own_thread(blocking)


class InTransactionCalls:
    """`1.0/runUdf`: queries and mutations called from a query or mutation (spec/functions.md
    §3.3.8) run inside the caller's transaction, as the caller's identity, and may be internal.

    A nested query's reads join the caller's read set; a nested mutation is a
    subtransaction, undone if it raises. Queries may only call queries, and a chain
    may be at most `MAX_CALL_DEPTH` functions deep.
    """

    def __init__(
        self, runner: FunctionRunner, parent: Environment, *, depth: int, writable: bool
    ) -> None:
        self._runner = runner
        self._parent = parent
        self._depth = depth
        self._writable = writable

    @classmethod
    def environment(
        cls,
        runner: FunctionRunner,
        identity: dict[str, Any] | UnverifiedIdentity | None,
        collector: logs.LogCollector,
        db: DatabaseSyscalls | None,
        *,
        depth: int = 1,
        writable: bool = False,
    ) -> Environment:
        """The environment of a query or mutation `depth` calls deep, its nested calls included."""
        env = Environment(identity, collector, db, variables=runner.variables)
        env.udf = cls(runner, env, depth=depth, writable=writable)
        env.functions = runner._lookup
        if runner.files is not None and db is not None:
            env.storage = TransactionStorage(
                runner.files, db.tx, writable=writable, namespace=db.namespace
            )
        return env

    def run_query(self, path: str, args: dict[str, Any]) -> Any:
        return self._run(FunctionKind.QUERY, path, args)

    def run_mutation(self, path: str, args: dict[str, Any]) -> Any:
        if not self._writable:
            raise BadRequestError(
                f"Can't call mutation {display(canonicalize(path))} from a query: queries "
                "may only run other queries"
            )
        db = self._parent.db
        assert db is not None
        savepoint = db.savepoint()
        try:
            return self._run(FunctionKind.MUTATION, path, args)
        except BaseException:
            db.rollback_to(savepoint)
            raise

    def _run(self, kind: FunctionKind, path: str, args: dict[str, Any]) -> Any:
        if self._depth >= MAX_CALL_DEPTH:
            raise MaximumCallDepthExceeded(
                f"Cannot call {display(canonicalize(path))}: more than {MAX_CALL_DEPTH} nested "
                "function calls (ctx.runQuery, ctx.runMutation) in one call chain"
            )
        runner, parent = self._runner, self._parent
        assert parent.db is not None
        runner._check_export(parent.db.namespace.component, path)
        fn, args = runner._prepare(path, kind, args, internal_ok=True)
        assert parent.db is not None
        env = self.environment(
            runner,
            parent.identity,
            parent.logs,
            parent.db.within(namespace_of_function(fn.path)),
            depth=self._depth + 1,
            writable=kind is FunctionKind.MUTATION,
        )
        if kind is FunctionKind.MUTATION and parent.scheduler is not None:
            env.scheduler = parent.scheduler.within(namespace_of_function(fn.path))
        return runner._result(fn, _user_code(fn.invoke, env, args))


def _forward(
    name: str | None,
    collector: logs.LogCollector,
    record: _Record | None,
    error: BaseException | None,
    tx: Transaction,
) -> None:
    collector.flush()
    if name is not None:
        logs.forward(name, collector.lines)
    if record is not None:
        record.complete(collector, error, tx=tx)


class _Record:
    """One execution's entries in the function log stream (spec/protocol.md §3.4.3), and
    its counts in the metrics: it runs from creation until `complete` (or `abandon`)."""

    __slots__ = (
        "_log",
        "_metrics",
        "key",
        "_gauge",
        "_udf_type",
        "_identifier",
        "_environment",
        "_identity_type",
        "_caller",
        "_started",
        "_request_id",
        "_parent_execution_id",
        "_execution_id",
        "usage",
    )

    def __init__(
        self,
        log: FunctionLog,
        metrics: FunctionMetrics,
        udf_type: str,
        identifier: str,
        handler: Any,
        identity: dict[str, Any] | None,
        caller: str | None,
        usage: SearchUsage,
    ) -> None:
        self._log = log
        self.usage = usage
        """The execution's search counters, filled in as it runs and at `complete`."""
        self._metrics = metrics
        self.key = identifier if udf_type == "HttpAction" else function_key(identifier)
        """How the metrics name the function (`function_key`, or the route)."""
        self._udf_type = udf_type
        self._identifier = identifier
        # A JavaScript function's handler is its analyzed spec (a mapping); a Python
        # function's is its callable.
        self._environment = (
            function_log.JS_ENVIRONMENT
            if isinstance(handler, Mapping)
            else function_log.PYTHON_ENVIRONMENT
        )
        self._identity_type = "user" if identity else "unknown"
        self._caller = caller or function_log.DEFAULT_CALLER
        self._started = time.time()
        self._request_id, self._parent_execution_id = function_log.claim_request_id()
        self._execution_id = function_log.new_execution_id()
        self._gauge = concurrency_gauge(self._environment, udf_type, RUNNING)
        metrics.adjust(self._gauge, 1)

    def as_parent(self) -> function_log.ParentExecution:
        """This execution as the parent of the calls it makes."""
        return function_log.ParentExecution(self._request_id, self._execution_id)

    def abandon(self) -> None:
        """The attempt ends unrecorded (a conflict its caller retries in a new run)."""
        self._metrics.adjust(self._gauge, -1)

    def progress(self, line: logs.LogLine) -> None:
        self._log.append(
            function_log.progress(
                udf_type=self._udf_type,
                identifier=self._identifier,
                line=line,
                started=self._started,
                request_id=self._request_id,
                execution_id=self._execution_id,
                root=self._parent_execution_id is None,
            )
        )

    def complete(
        self,
        collector: logs.LogCollector,
        error: BaseException | None,
        *,
        lines_streamed: bool = False,
        http_response: HttpResponse | None = None,
        tx: Transaction | None = None,
    ) -> None:
        success: Any = None
        if http_response is not None and error is None:
            success = {"status": str(http_response.status)}
        ended = time.time()
        rows_read = tx.rows_read if tx is not None else None
        rows_written = tx.rows_written() if tx is not None and error is None else None
        if tx is not None:
            self.usage.add_transaction(tx, committed=error is None)
        self._metrics.completed(
            self._udf_type,
            self.key,
            max(0.0, ended - self._started),
            error is not None,
            rows_read,
            rows_written,
            gauge=self._gauge,
        )
        self._log.append(
            function_log.completion(
                udf_type=self._udf_type,
                identifier=self._identifier,
                lines=[] if lines_streamed else list(collector.structured),
                started=self._started,
                ended=ended,
                error=None if error is None else error_text(error),
                request_id=self._request_id,
                execution_id=self._execution_id,
                caller=self._caller,
                environment=self._environment,
                identity_type=self._identity_type,
                parent_execution_id=self._parent_execution_id,
                success=success,
                documents_read=sum(rows_read.values()) if rows_read else 0,
                documents_written=sum(rows_written.values()) if rows_written else 0,
                search_usage=self.usage.fields(),
            )
        )


def error_text(exc: BaseException) -> str:
    """A failure as the function log and a failed job record it: its Convex message."""
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message:
        return message
    return str(exc) or type(exc).__name__


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


__all__ = [
    "Execution",
    "FunctionError",
    "FunctionRunner",
    "NestedCalls",
    "TrackedExecution",
    "ValidationError",
]
