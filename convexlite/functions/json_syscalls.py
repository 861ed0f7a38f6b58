"""The JSON syscalls of pushed JavaScript (V8 and Node.js), served by the `Environment` every
source shares.

The bundled `convex/server` library calls `Convex.syscall(op, json)` and
`Convex.asyncSyscall(op, json)` (spec/functions.md §3.3); the host prelude
forwards them over the bridge to `TransactionSyscalls` (queries and mutations,
answered synchronously on the V8 thread) or `ActionSyscalls` (actions and
HTTP actions, answered concurrently on the event loop). Both only translate:
the rules live in the `DatabaseSyscalls`, the runner's nested calls and the
identity that Python functions use too, so a client cannot tell the two
languages apart.

Errors cross the bridge as `{"message", "data"?}`; `data` carries a
`ConvexError`'s value in Convex JSON, which the library rethrows as a
`ConvexError` in the calling function.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

from convexlite.errors import BadRequestError, ConvexBackendError, ConvexError
from convexlite.functions.environment import Environment
from convexlite.functions.files import parse_sha256
from convexlite.functions.references import InvalidReference, function_address, function_handle
from convexlite.functions.syscalls import DatabaseSyscalls
from convexlite.values import Int64, decode, dumps, encode
from convexlite.values.function_paths import display, split_component

Handler = Callable[[dict[str, Any]], Any]

_LATER_ISSUES = {
    "1.0/signJwt": "JWT signing",
    "1.0/createServiceToken": "service tokens",
    "1.0/getServiceUrl": "service tokens",
    "1.0/auditLog": "audit logs",
    "1.0/componentArgument": "component arguments",
}


class UnknownOperation(BadRequestError):
    code = "UnknownOperation"


class UnsupportedOperation(BadRequestError):
    code = "UnsupportedOperation"


class HostError(Exception):
    """What the bridge hands back to JavaScript when a syscall fails: `{"message", "data"?}`."""

    def __init__(self, payload: str) -> None:
        super().__init__(payload)
        self.payload = payload


def error_payload(exc: BaseException) -> str:
    """The bridge form of an exception raised while serving a syscall."""
    if isinstance(exc, ConvexError):
        return json.dumps({"message": str(exc), "data": encode(exc.data)})
    if isinstance(exc, ConvexBackendError):
        return json.dumps({"message": exc.message})
    return json.dumps({"message": f"{type(exc).__name__}: {exc}"})


def schedule(env: Environment, args: dict[str, Any], caller: str) -> Any:
    """`1.0/schedule` and `1.0/actions/schedule` by the function at `caller`: `ts` is in
    seconds (spec/platform.md §3.1); the result is the job's id, or for an action its
    coroutine."""
    ts = args.get("ts")
    if isinstance(ts, bool) or not isinstance(ts, int | float):
        raise BadRequestError(f"Invalid time to schedule at: {ts!r}")
    path = function_address(args, caller)
    return env.scheduler.schedule(path, decode(args.get("args", {})), ts * 1000)


def create_handle(env: Environment, args: dict[str, Any], caller: str) -> str:
    """`1.0/createFunctionHandle` by the function at `caller`: refused, as upstream does,
    for a function that does not exist (rather than when the handle is called)."""
    path = function_address(args, caller)
    if env.functions is not None and env.functions(path) is None:
        component, local = split_component(path)
        where = f' in component "{component}"' if component else ""
        raise InvalidReference(
            f"Can't create a function handle for {display(local)}{where}: no such function exists"
        )
    return function_handle(path)


def file_storage_of(env: Environment) -> Any:
    """The execution's `ctx.storage`; a backend without a blob store has none."""
    if env.storage is None:
        raise UnsupportedOperation("File storage is not configured for this backend")
    return env.storage


async def _store(storage: Any, args: dict[str, Any]) -> Any:
    """`1.0/storageStore`: `blob` in standard base64, `sha256` (optional) too."""
    data = base64.b64decode(args.get("blob") or "")
    digest = args.get("sha256")
    expected = None if digest is None else parse_sha256(digest)
    return await storage.store(data, args.get("contentType"), expected)


async def _get(storage: Any, args: dict[str, Any]) -> Any:
    """`1.0/storageGet`: `{blob: <base64>, contentType}` or null."""
    found = await storage.get(args.get("storageId"))
    if found is None:
        return None
    data, content_type = found
    return {"blob": base64.b64encode(data).decode(), "contentType": content_type}


_ACTION_STORAGE: dict[str, Callable[[Any, dict[str, Any]], Awaitable[Any]]] = {
    "1.0/storageGetUrl": lambda storage, a: storage.get_url(a.get("storageId")),
    "1.0/storageGetMetadata": lambda storage, a: storage.get_metadata(a.get("storageId")),
    "1.0/storageGenerateUploadUrl": lambda storage, a: storage.generate_upload_url(),
    "1.0/storageDelete": lambda storage, a: storage.delete(a.get("storageId")),
    "1.0/storageStore": _store,
    "1.0/storageGet": _get,
}


def _written(value: Any) -> Any:
    """A document a mutation writes: the one place `{"$commitTs": null}` is accepted
    (functions.md §3.3.3); the committer replaces it with the commit timestamp."""
    return decode(value, allow_commit_ts=True)


def unsupported(op: str) -> ConvexBackendError:
    for prefix, feature in _LATER_ISSUES.items():
        if op.startswith(prefix):
            return UnsupportedOperation(f"{op} ({feature}) is not supported by convexlite yet")
    return UnknownOperation(f"Unknown operation {op}")


class TransactionSyscalls:
    """The syscalls of one query or mutation, bound to its `Environment`.

    `writable` is False for a query, including a query nested in a mutation,
    whose environment shares the mutation's transaction: the library gives
    queries no writer, and this refuses writes from code that builds one anyway.
    """

    def __init__(self, env: Environment, *, path: str, writable: bool, instance_name: str) -> None:
        self.env = env
        self.path = path
        self.writable = writable
        self.instance_name = instance_name
        db = env.db
        assert db is not None
        self.db: DatabaseSyscalls = db
        self._ops: dict[str, Handler] = {
            "1.0/get": self._get,
            "1.0/queryStream": self._query_stream,
            "1.0/queryStreamNext": self._query_stream_next,
            "1.0/queryCleanup": lambda a: self.db.query_cleanup(int(a["queryId"])),
            "1.0/queryPage": self._query_page,
            "1.0/db/normalizeId": lambda a: {"id": self.db.normalize_id(a["table"], a["idString"])},
            "1.0/getSnapshotTs": lambda a: Int64(self.db.tx.begin_ts),
            "1.0/insert": self._insert,
            "1.0/shallowMerge": self._patch,
            "1.0/replace": self._replace,
            "1.0/remove": self._remove,
            "1.0/getUserIdentity": lambda a: self.env.get_user_identity(),
            "1.0/runUdf": self._run_udf,
            "1.0/schedule": self._schedule,
            "1.0/cancel_job": self._cancel_job,
            "1.0/storageGetUrl": lambda a: self._storage().get_url(a.get("storageId")),
            "1.0/storageGetMetadata": lambda a: self._storage().get_metadata(a.get("storageId")),
            "1.0/storageGenerateUploadUrl": lambda a: self._storage().generate_upload_url(),
            "1.0/storageDelete": lambda a: self._storage().delete(a.get("storageId")),
            "1.0/getFunctionMetadata": lambda a: function_metadata(self.path),
            "1.0/createFunctionHandle": lambda a: create_handle(self.env, a, self.path),
            "1.0/getDeploymentMetadata": lambda a: _deployment_metadata(self.instance_name),
        }

    def __call__(self, op: str, payload: str) -> str:
        """Serve one syscall: its result in Convex JSON, or `HostError` for the library."""
        try:
            handler = self._ops.get(op)
            if handler is None:
                raise unsupported(op)
            return dumps(handler(json.loads(payload)))
        except BaseException as exc:
            raise HostError(error_payload(exc)) from exc

    def _get(self, args: dict[str, Any]) -> Any:
        return self.db.get(args["id"], args.get("table"), system=bool(args.get("isSystem")))

    def _query_stream(self, args: dict[str, Any]) -> Any:
        return {"queryId": self.db.query_stream(args["query"])}

    def _query_stream_next(self, args: dict[str, Any]) -> Any:
        value = self.db.query_stream_next(int(args["queryId"]))
        return {"value": value, "done": value is None}

    def _query_page(self, args: dict[str, Any]) -> Any:
        page = self.db.query_page(
            args["query"],
            args.get("cursor"),
            int(args["pageSize"]),
            end_cursor=args.get("endCursor"),
            maximum_rows_read=args.get("maximumRowsRead"),
            maximum_bytes_read=args.get("maximumBytesRead"),
        )
        return {
            "page": page.page,
            "isDone": page.is_done,
            "continueCursor": page.continue_cursor,
            "splitCursor": page.split_cursor,
            "pageStatus": page.page_status,
        }

    def _check_writable(self, method: str) -> None:
        if not self.writable:
            raise BadRequestError(f"{method} can't be called from a query: queries are read-only")

    def _insert(self, args: dict[str, Any]) -> Any:
        self._check_writable("db.insert")
        return {"_id": self.db.insert(args["table"], _written(args["value"]))}

    def _patch(self, args: dict[str, Any]) -> Any:
        self._check_writable("db.patch")
        value = decode(args["value"], allow_undefined=True, allow_commit_ts=True)
        return self.db.shallow_merge(args["id"], value, args.get("table"))

    def _replace(self, args: dict[str, Any]) -> Any:
        self._check_writable("db.replace")
        return self.db.replace(args["id"], _written(args["value"]), args.get("table"))

    def _remove(self, args: dict[str, Any]) -> Any:
        self._check_writable("db.delete")
        return self.db.remove(args["id"], args.get("table"))

    def _storage(self) -> Any:
        return file_storage_of(self.env)

    def _schedule(self, args: dict[str, Any]) -> Any:
        self._check_writable("scheduler.runAfter")
        return schedule(self.env, args, self.path)

    def _cancel_job(self, args: dict[str, Any]) -> Any:
        self._check_writable("scheduler.cancel")
        return self.env.scheduler.cancel(decode(args["id"]))

    def _run_udf(self, args: dict[str, Any]) -> Any:
        udf = self.env.udf
        assert udf is not None
        path = function_address(args, self.path)
        call_args = decode(args.get("args", {}))
        if args.get("udfType") == "mutation":
            return udf.run_mutation(path, call_args)
        return udf.run_query(path, call_args)


class ActionSyscalls:
    """The syscalls of one action or HTTP action: nested calls run as the action's caller."""

    def __init__(self, env: Environment, *, path: str, instance_name: str) -> None:
        self.env = env
        self.path = path
        self.instance_name = instance_name

    def sync(self, op: str, payload: str) -> str:
        """A synchronous syscall (`Convex.syscall`) made by an action."""
        try:
            if op == "1.0/getFunctionMetadata":
                return dumps(function_metadata(self.path))
            if op == "1.0/getDeploymentMetadata":
                return dumps(_deployment_metadata(self.instance_name))
            raise unsupported(op)
        except BaseException as exc:
            raise HostError(error_payload(exc)) from exc

    async def call(self, op: str, payload: str) -> str:
        """An asynchronous syscall; raises `HostError` for the library to rethrow."""
        try:
            return dumps(await self._call(op, json.loads(payload)))
        except BaseException as exc:
            raise HostError(error_payload(exc)) from exc

    async def _call(self, op: str, args: dict[str, Any]) -> Any:
        actions = self.env.actions
        assert actions is not None
        if op == "1.0/getUserIdentity":
            return self.env.get_user_identity()
        if op in ("1.0/actions/query", "1.0/actions/mutation", "1.0/actions/action"):
            path = function_address(args, self.path)
            call_args = decode(args.get("args", {}))
            kind = op.rsplit("/", 1)[1]
            if kind == "query":
                return await actions.run_query(path, call_args)
            if kind == "mutation":
                return await actions.run_mutation(path, call_args)
            return await actions.run_action(path, call_args)
        if op in _ACTION_STORAGE:
            return await _ACTION_STORAGE[op](file_storage_of(self.env), args)
        if op == "1.0/actions/vectorSearch":
            return {"results": await actions.vector_search(args.get("query"))}
        if op == "1.0/actions/schedule":
            return await schedule(self.env, args, self.path)
        if op == "1.0/actions/cancel_job":
            return await self.env.scheduler.cancel(decode(args["id"]))
        if op in ("1.0/getFunctionMetadata", "1.0/getDeploymentMetadata"):
            return json.loads(self.sync(op, "{}"))
        if op == "1.0/createFunctionHandle":
            return create_handle(self.env, args, self.path)
        raise unsupported(op)


def function_metadata(path: str) -> dict[str, Any]:
    """`1.0/getFunctionMetadata` of the function at `path`: its name within its component."""
    component, name = split_component(path)
    return {"name": name, "componentPath": component}


def _deployment_metadata(instance_name: str) -> dict[str, Any]:
    return {"name": instance_name, "region": None, "class": "s16"}


__all__ = [
    "ActionSyscalls",
    "HostError",
    "TransactionSyscalls",
    "UnknownOperation",
    "UnsupportedOperation",
    "error_payload",
]
