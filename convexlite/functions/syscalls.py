"""The operations a running query or mutation may perform on the database.

One method per Convex syscall (spec/functions.md §3.3); the method's
docstring names the op. Python's `ctx` objects call these directly; the
JavaScript runtime will reach the same methods through JSON. Here live the
rules that hold for user code but not for the database itself: system
tables are private, queries cannot write, one paginated query per execution.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from convexlite.database.metadata import TableInfo
from convexlite.database.namespace import ROOT, TableNamespace
from convexlite.database.transaction import Savepoint, Transaction
from convexlite.errors import BadRequestError
from convexlite.query.cursors import CursorCodec
from convexlite.query.pagination import Page, paginate
from convexlite.query.query_json import FullTableScan, Query, parse_query
from convexlite.query.stream import QueryStream
from convexlite.values import InvalidIdError, check_table_name, decode_id


class MultiplePaginatedDatabaseQueries(BadRequestError):
    code = "MultiplePaginatedDatabaseQueries"


class InvalidQueryId(BadRequestError):
    code = "InvalidQueryId"


class TableMismatch(BadRequestError):
    code = "InvalidArgument"


def _plan(query: Query | Mapping[str, Any], namespace: TableNamespace) -> Query:
    """The parsed query, its table named as the registry knows it in `namespace`."""
    plan = query if isinstance(query, Query) else parse_query(query)
    if namespace.is_root:
        return plan
    source = plan.source
    if isinstance(source, FullTableScan):
        source = replace(source, table_name=namespace.engine_name(source.table_name))
    else:
        name = f"{namespace.engine_name(source.table_name)}.{source.index_descriptor}"
        source = replace(source, index_name=name)
    return Query(source, plan.operators)


@dataclass(frozen=True, slots=True)
class SyscallSavepoint:
    """The writes and the pagination state of an execution at one moment."""

    writes: Savepoint
    paginated: bool
    journal: str | None


class DatabaseSyscalls:
    """Database syscalls bound to one execution's transaction, seeing the tables of one
    namespace (the app's, or a component's)."""

    def __init__(
        self,
        tx: Transaction,
        cursors: CursorCodec,
        journal: str | None = None,
        namespace: TableNamespace = ROOT,
    ) -> None:
        """`journal` is the page end a previous run of this query recorded (§7.5).

        A live query re-runs with it so a paginated page keeps its boundaries;
        after a run, `self.journal` holds what the next run should use.
        """
        self.tx = tx
        self.namespace = namespace
        self.journal = journal
        self._cursors = cursors
        self._streams: dict[int, QueryStream] = {}
        self._next_query_id = 0
        self._paginated = False

    def within(self, namespace: TableNamespace) -> DatabaseSyscalls:
        """The syscalls of a function of another component called inside this transaction:
        the same transaction (its writes commit or roll back with the caller's), that
        component's tables, its own query streams."""
        if namespace == self.namespace:
            return self
        return DatabaseSyscalls(self.tx, self._cursors, namespace=namespace)

    @contextmanager
    def switched_to(self, namespace: TableNamespace) -> Iterator[DatabaseSyscalls]:
        """The rest of this execution seeing `namespace`'s tables (a system function called
        with a `componentId`): the same transaction, and this execution's paginated query
        state carried in and back out, so a live page keeps its journal."""
        inner = self.within(namespace)
        if inner is self:
            yield self
            return
        inner.journal, inner._paginated = self.journal, self._paginated
        try:
            yield inner
        finally:
            self.journal, self._paginated = inner.journal, inner._paginated

    def savepoint(self) -> SyscallSavepoint:
        """Where to return to when a nested mutation fails or a run is started over: its
        writes and its paginated query are undone, its reads stay in the read set."""
        return SyscallSavepoint(self.tx.savepoint(), self._paginated, self.journal)

    def rollback_to(self, savepoint: SyscallSavepoint) -> None:
        self.tx.rollback_to(savepoint.writes)
        self._paginated = savepoint.paginated
        self.journal = savepoint.journal

    # ---- reads ----------------------------------------------------------------------------

    def get(
        self, id: str, table: str | None = None, *, system: bool = False
    ) -> dict[str, Any] | None:
        """`1.0/get`: a document by id, or None if it (or its table) does not exist; with
        `system` (`ctx.db.system.get`) of the system tables functions may read."""
        if not isinstance(id, str):
            raise InvalidIdError(
                f"Invalid argument `id` for `db.get`: expected a string, got {id!r}"
            )
        if table is not None:
            self._check_table(id, table, "db.get")
        resolved = self.tx.resolve_id(id)
        if resolved is None:
            return None
        info = resolved[0]
        if info.is_private or info.is_system != system or not self._visible(info):
            return None
        return self.tx.get_resolved(*resolved, id)

    def normalize_id(self, table: str, id_string: str) -> str | None:
        """`1.0/db/normalizeId`: `id_string` if it is an id of `table`, else None."""
        try:
            number, _ = decode_id(id_string)
        except InvalidIdError:
            return None
        info = self.tx.table(self.namespace.engine_name(table))
        if info is None or info.is_private or info.number != number:
            return None
        return id_string

    def count(self, table: str) -> int:
        """`1.0/count` (`db.query(table).count()`): the documents of `table`, 0 if it does not
        exist or is private, counted without reading them (`Transaction.count`)."""
        info = self.tx.table(self.namespace.engine_name(table))
        if info is None or info.is_private:
            return 0
        return self.tx.count(info.name)

    def query_stream(self, query: Query | Mapping[str, Any]) -> int:
        """`1.0/queryStream`: start a query (built by Python, or the JSON JavaScript sends);
        planning errors (unknown index...) surface here."""
        self._next_query_id += 1
        self._streams[self._next_query_id] = QueryStream(self.tx, _plan(query, self.namespace))
        return self._next_query_id

    def query_stream_next(self, query_id: int) -> dict[str, Any] | None:
        """`1.0/queryStreamNext`: the next document, None when done."""
        stream = self._streams.get(query_id)
        if stream is None:
            raise InvalidQueryId(f"Query {query_id} does not exist or was cleaned up")
        return stream.next()

    def query_cleanup(self, query_id: int) -> bool:
        """`1.0/queryCleanup`."""
        return self._streams.pop(query_id, None) is not None

    def query_page(
        self,
        query: Query | Mapping[str, Any],
        cursor: str | None,
        page_size: int,
        *,
        end_cursor: str | None = None,
        maximum_rows_read: int | None = None,
        maximum_bytes_read: int | None = None,
        private_ok: bool = False,
    ) -> Page:
        """`1.0/queryPage`: one page of a paginated query. `private_ok` lets a system
        function page through a private system table (the audit log, the job queue)."""
        if self._paginated:
            raise MultiplePaginatedDatabaseQueries(
                "This query or mutation function ran multiple paginated queries. Convex only "
                "supports a single paginated query in each function."
            )
        self._paginated = True
        page = paginate(
            self.tx,
            _plan(query, self.namespace),
            self._cursors,
            num_items=page_size,
            cursor=cursor,
            end_cursor=end_cursor if end_cursor is not None else self.journal,
            maximum_rows_read=maximum_rows_read,
            maximum_bytes_read=maximum_bytes_read,
            private_ok=private_ok,
        )
        self.journal = page.continue_cursor
        return page

    # ---- writes ---------------------------------------------------------------------------

    def insert(self, table: str, value: dict[str, Any]) -> str:
        """`1.0/insert`: returns the new document's id."""
        check_table_name(table)
        return self.tx.insert(self.namespace.engine_name(table), value)

    def shallow_merge(
        self, id: str, value: dict[str, Any], table: str | None = None
    ) -> dict[str, Any]:
        """`1.0/shallowMerge` (`db.patch`)."""
        self._check_user_id(id, table, "db.patch")
        return self.tx.patch(id, value)

    def replace(self, id: str, value: dict[str, Any], table: str | None = None) -> dict[str, Any]:
        """`1.0/replace`."""
        self._check_user_id(id, table, "db.replace")
        return self.tx.replace(id, value)

    def remove(self, id: str, table: str | None = None) -> dict[str, Any]:
        """`1.0/remove` (`db.delete`)."""
        self._check_user_id(id, table, "db.delete")
        return self.tx.delete(id)

    # ---- helpers --------------------------------------------------------------------------

    def _check_user_id(self, id: str, table: str | None, method: str) -> None:
        if not isinstance(id, str):
            raise InvalidIdError(
                f"Invalid argument `id` for `{method}`: expected a string, got {id!r}"
            )
        if table is not None:
            self._check_table(id, table, method)
        resolved = self.tx.resolve_id(id)
        if resolved is not None and resolved[0].is_system:
            raise BadRequestError(f"Cannot modify system table document {id} with `{method}`.")
        if resolved is not None and not self._visible(resolved[0]):
            raise InvalidIdError(
                f"Invalid argument `id` for `{method}`: {id} is not an ID of a table of "
                "this component"
            )

    def _visible(self, info: TableInfo) -> bool:
        """Whether a document of the registry's table `info` is this namespace's to see."""
        return self.namespace.owns(info.name)

    def _check_table(self, id: str, table: str, method: str) -> None:
        if self.normalize_id(table, id) is None:
            raise TableMismatch(
                f'Invalid argument `id` for `{method}`: the ID "{id}" is not an ID of table '
                f'"{table}".'
            )
