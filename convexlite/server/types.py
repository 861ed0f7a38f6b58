"""What the transports need of a backend: one narrow protocol (upstream's `ApplicationApi`).

Every route and the sync WebSocket reach the engine only through
`BackendApi`, and see its results only as the small protocols below, so the
server imports nothing of the floors under it but `sync/`, `auth/` and
`values/`. `convexlite.Backend` implements it; a test may hand the server
anything else that does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from prometheus_client.registry import Collector

from convexlite.auth.identity import Caller
from convexlite.auth.keys import AdminIdentity
from convexlite.values.function_kinds import FunctionKind
from convexlite.values.http import HttpRequest, HttpResponse


class SessionRequestId(NamedTuple):
    """A mutation sent over the sync protocol: its client session and request id, and
    whether the client may be sending it again (it reconnected), so that a run of it may
    already be recorded."""

    session_id: str
    request_id: int
    may_be_resent: bool


class Execution(Protocol):
    """A function's outcome: its value, its log lines, and the timestamp it ran at (a
    query's snapshot, a mutation's commit; None for an action)."""

    @property
    def value(self) -> Any: ...

    @property
    def log_lines(self) -> list[str]: ...

    @property
    def ts(self) -> int | None: ...


class QueryResult(Protocol):
    """One state of a watched query: its value or the error it raised, as of `ts`."""

    @property
    def value(self) -> Any: ...

    @property
    def error(self) -> BaseException | None: ...

    @property
    def ts(self) -> int: ...

    @property
    def log_lines(self) -> list[str]: ...


class QuerySubscription(Protocol):
    """A watched query: its results as they change. `on_settled` is called whenever the
    query finishes a run, changed or not, which is when it may have become current."""

    on_settled: Callable[[], None] | None

    def __aiter__(self) -> AsyncIterator[QueryResult]: ...

    def close(self) -> None: ...


class FunctionDescription(Protocol):
    """What a transport learns of a function it may call."""

    @property
    def kind(self) -> FunctionKind: ...


class StoredFileView(Protocol):
    """A stored file as the download endpoint serves it."""

    @property
    def size(self) -> int: ...

    @property
    def content_type(self) -> str | None: ...

    @property
    def sha256(self) -> bytes: ...

    def chunks(self, start: int, end: int) -> AsyncIterator[bytes]:
        """The bytes `[start, end)`, streamed."""
        ...


class ExportDownloadView(Protocol):
    """A completed snapshot export as the download endpoint serves it."""

    @property
    def start_ts(self) -> int: ...

    @property
    def size(self) -> int: ...

    def chunks(self) -> Iterator[bytes]:
        """The ZIP's bytes, streamed (read on a worker thread)."""
        ...


class BackendApi(Protocol):
    @property
    def instance_name(self) -> str: ...

    @property
    def latest_ts(self) -> int:
        """The timestamp of the latest published commit."""
        ...

    async def ensure_open(self) -> None:
        """Open the backend if it is not open yet (a mounted app opens it on first use)."""
        ...

    async def execute(
        self,
        kind: FunctionKind,
        path: str,
        args: Any,
        caller: Caller,
        *,
        at_ts: int | None = None,
        request_id: str | None = None,
        session_request: SessionRequestId | None = None,
    ) -> Execution:
        """Run a function as `caller`; a query may run at an earlier published `at_ts`.
        `request_id` is the id the transport shows for the request (in its errors, or
        derived for a WebSocket request), which its log entries then carry. A mutation's
        `session_request` (a sync client's session id and request id) makes it run once:
        sent again, even after a restart, it is answered with the first run's outcome."""
        ...

    def subscribe(
        self, path: str, args: Any, *, caller: Caller | None = None
    ) -> QuerySubscription:
        """Watch a query's results; call on the backend's event loop."""
        ...

    def describe(self, path: str, caller: Caller) -> FunctionDescription | None:
        """The function at `path` if `caller` may call it (any kind), else None."""
        ...

    def current_through(self, subscriptions: Iterable[Any], ts: int) -> bool:
        """True when every subscription (as `subscribe` returned them) still holds its
        query's result as of `ts`."""
        ...

    @property
    def auth_version(self) -> int:
        """Changes whenever the auth providers do (a push, an environment variable): a
        session signed in with a token checks it again."""
        ...

    async def authenticate_user(self, token: str) -> Caller:
        """The caller a user's JWT makes (its identity, and when it expires); raises a
        `ConvexBackendError` with upstream's code and message when the token is refused."""
        ...

    def verify_admin_key(self, key: str) -> AdminIdentity:
        """The identity behind a key of this instance; raises `AdminKeyError` otherwise."""
        ...

    async def run_http_action(self, request: HttpRequest, caller: Caller) -> HttpResponse:
        """Answer a request to the deployment's HTTP actions (404s included)."""
        ...

    async def function_logs(
        self, cursor: float, *, structured: bool, timeout: float, request_id: str | None = None
    ) -> tuple[list[dict[str, Any]], float]:
        """The function log entries newer than `cursor` (a ms key), waiting up to `timeout`
        seconds for one, as JSON objects with structured or `"[LEVEL] text"` log lines,
        and the cursor to pass next (`cursor` itself when none came); with `request_id`,
        only the entries of that request's root execution."""
        ...

    async def cancel_scheduled_functions(
        self,
        *,
        job_id: str | None = None,
        path: str | None = None,
        start_ts: int | None = None,
        end_ts: int | None = None,
        component_id: str | None = None,
    ) -> int:
        """Cancel the scheduled function `job_id`, or every pending one (of the function
        `path`, due in `[start_ts, end_ts)` ns, if given) of the app or of the component
        instance `component_id` names; returns how many."""
        ...

    async def delete_scheduled_functions(self, component_id: str | None = None) -> None:
        """Delete every scheduled function's record, finished or not, of the app or of a
        component instance."""
        ...

    async def upload_file(
        self,
        token: str,
        content_type: str | None,
        digest: str | None,
        body: AsyncIterator[bytes],
    ) -> str:
        """Store an upload's `body` as a new file with the upload URL's `token` (a
        `Digest` header's value checked if given); its `Id<"_storage">`. Refusals raise
        `ConvexBackendError`s with their code and status."""
        ...

    async def stored_file(self, storage_uuid: str) -> StoredFileView | None:
        """The file whose URL names `storage_uuid`, None if there is none."""
        ...

    async def push(self, operation: str, body: dict[str, Any]) -> Any:
        """Answer a push endpoint (`operation` is its last path segment: `start_push`,
        `finish_push`, `get_config_hashes`, ...) with its JSON response. Refusals raise
        `ConvexBackendError`s whose `code` (and `status`, when they carry one) the
        transport renders."""
        ...

    async def environment_variables(self) -> dict[str, str]:
        """The deployment's environment variables, {name: value} (built-ins excluded)."""
        ...

    async def set_environment_variables(self, changes: Sequence[tuple[str, str | None]]) -> None:
        """Apply (name, value) changes atomically, None unsetting; a change or result that
        breaks a rule raises a `ConvexBackendError` with its code, and nothing changes."""
        ...

    async def request_export(self, include_storage: bool) -> str:
        """Start a snapshot export; `ExportInProgress` (a `ConvexBackendError`) if one runs."""
        ...

    async def export_download(self, snapshot_id: str) -> ExportDownloadView:
        """A completed export by `_exports` id or `start_ts`; a `ConvexBackendError`
        (`ExportNotFound`, `ExportNotComplete`, `BadSnapshotId`) otherwise."""
        ...

    async def cancel_export(self, snapshot_id: str) -> str:
        """Cancel a requested or running export; `ExportStateConflict` if it has ended."""
        ...

    async def set_export_expiration(self, snapshot_id: str, expiration_ns: int) -> str:
        """Move a completed export's expiry; `ExportStateConflict` if it is not completed."""
        ...

    async def start_import_upload(self) -> str:
        """A new upload token for `npx convex import`."""
        ...

    async def upload_import_part(self, upload_token: str, part_number: int, data: bytes) -> str:
        """Keep one part of an upload; returns its part token."""
        ...

    async def finish_import_upload(
        self,
        upload_token: str,
        part_tokens: list[str],
        format: str,
        mode: str,
        table: str | None,
        component: str,
    ) -> str:
        """Join the parts and start checking the import (a single table goes into the
        component at path `component`, "" for the app); returns its `_snapshot_imports` id."""
        ...

    async def perform_import(self, import_id: str) -> None:
        """Run an import waiting for confirmation."""
        ...

    async def cancel_import(self, import_id: str) -> None:
        """Cancel an import that has not started running."""
        ...

    # ---- metrics and pausing (spec/operator.md §4.6, §4.9) -------------------------------

    def app_metrics(self, route: str, params: Mapping[str, str]) -> Any:
        """The JSON of `/api/app_metrics/<route>?<params>`: a `ConvexBackendError` with
        upstream's code for bad parameters, `KeyError` for a route that does not exist."""
        ...

    def prometheus_collector(self) -> Collector:
        """The backend's metrics for `GET /metrics`."""
        ...

    async def set_paused(self, paused: bool) -> None:
        """Pause or resume the deployment; `PauseDeploymentFailed`/`UnpauseDeploymentFailed`
        (`ConvexBackendError`s) when it already is."""
        ...

    def storage_status(self) -> dict[str, Any]:
        """The store's size and retention's state, as JSON (`GET /api/dashboard/storage`)."""
        ...

    def issue_admin_key(self, *, read_only: bool) -> str:
        """A new admin key of this instance (`POST /api/dashboard/admin_key`)."""
        ...

    # ---- dashboard and CLI tools (spec/operator.md §4.1–4.3, §4.5) -----------------------------

    async def run_test_query(
        self, source: str, args: Any, component_id: str | None, caller: Caller
    ) -> Execution:
        """Run a one-off query module (its default export a `query`) once, read-only, at the
        latest snapshot, in the component instance `component_id` names (None: the app).
        Its failures, a module that does not load included, raise as a function's do."""
        ...

    async def table_shapes(self, component_id: str | None) -> dict[str, Any]:
        """`{table: Shape JSON}` for every user table of the app or a component instance."""
        ...

    async def delete_tables(self, names: list[str], component_id: str | None) -> None:
        """Delete whole user tables in one transaction; refusals raise `ConvexBackendError`s."""
        ...

    async def delete_component(self, component_id: str | None) -> None:
        """Delete an unmounted component instance with its data; refusals raise
        `ConvexBackendError`s."""
        ...
