"""An OpenAPI 3.0 description of convexlite's HTTP API, generated from the app's route table.

The routes (paths, methods, path parameters) come from the Starlette app itself, so a
route added to `server/` is described (and fuzzed) without editing this file; what the
route table cannot say, the JSON bodies the endpoints read, is the table `BODIES` below,
taken from spec/protocol.md §3 and spec/operator.md §4. Every error answer is described
as Convex's `{code, message}` body (§3.1.4). `WebSocketRoute`s are the sync protocol,
fuzzed by `test_sync_fuzz.py` instead; mounts are described by one catch-all operation.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import BaseRoute, Mount, Route

JSON = "application/json"
_ANY: dict[str, Any] = {}
_STR = {"type": "string"}
_ARGS = {"oneOf": [{"type": "object"}, {"type": "array"}]}
_FORMAT = {"type": "string", "enum": ["json", "convex_encoded_json", "export_json", "bogus"]}
_CALL = {"path": _STR, "args": _ARGS, "format": _FORMAT}


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


BODIES: dict[str, dict[str, Any]] = {
    "/api/query": _object(_CALL, ("path", "args")),
    "/api/mutation": _object(_CALL, ("path", "args")),
    "/api/action": _object(_CALL, ("path", "args")),
    "/api/function": _object({**_CALL, "componentPath": _STR}, ("path", "args")),
    "/api/run/{segments}": _object({"args": _ARGS, "format": _FORMAT}, ("args",)),
    "/api/query_at_ts": _object({**_CALL, "ts": _STR}, ("path", "args", "ts")),
    "/api/query_batch": _object(
        {"queries": {"type": "array", "items": _object(_CALL, ("path", "args"))}}, ("queries",)
    ),
    "/api/update_environment_variables": _object(
        {
            "changes": {
                "type": "array",
                "items": _object({"name": _STR, "value": {"type": "string", "nullable": True}}),
            }
        },
        ("changes",),
    ),
    "/api/cancel_job": _object({"id": _STR, "componentId": _STR}, ("id",)),
    "/api/cancel_all_jobs": _object(
        {
            "udfPath": _STR,
            "startNextTs": {"type": "integer"},
            "endNextTs": {"type": "integer"},
            "componentId": _STR,
            "componentPath": _STR,
        }
    ),
    "/api/delete_scheduled_functions_table": _object({"componentId": _STR}),
    "/api/export/set_expiration/{snapshot_id}": _object(
        {"expiration_ts_ns": {"type": "integer"}}, ("expiration_ts_ns",)
    ),
    "/api/import/finish_upload": _object(
        {
            "import": _object(
                {"format": _STR, "mode": _STR, "tableName": _STR, "componentPath": _STR}
            ),
            "uploadToken": _STR,
            "partTokens": {"type": "array", "items": _STR},
        },
        ("import", "uploadToken", "partTokens"),
    ),
    "/api/perform_import": _object({"importId": _STR}, ("importId",)),
    "/api/cancel_import": _object({"importId": _STR}, ("importId",)),
    "/api/run_test_function": _object(
        {
            "adminKey": _STR,
            "bundle": _object({"path": _STR, "source": _STR}),
            "args": _ARGS,
            "format": _FORMAT,
            "componentId": _STR,
        },
        ("bundle",),
    ),
    "/api/delete_tables": _object(
        {"tableNames": {"type": "array", "items": _STR}, "componentId": _STR}, ("tableNames",)
    ),
    "/api/delete_component": _object({"componentId": _STR}),
    "/api/dashboard/admin_key": _object({"readOnly": {"type": "boolean"}}),
    "/dashboard/login": _object({"token": _STR}),
}
"""The JSON body of each endpoint that reads one (spec/protocol.md §3, operator.md §4)."""

RAW_BODIES = {"/echo", "/api/storage/upload", "/api/import/upload_part", "/http/{rest}"}
"""Endpoints whose body is bytes (a file, an import part, an HTTP action's request)."""

QUERY_PARAMETERS: dict[str, dict[str, dict[str, Any]]] = {
    "/api/stream_function_logs": {
        "cursor": {"type": "number"},
        "sessionId": _STR,
        "clientRequestCounter": _STR,
    },
    "/api/storage/upload": {"token": _STR},
    "/api/import/upload_part": {"uploadToken": _STR, "partNumber": _STR},
    "/api/export/request/zip": {"includeStorage": _STR},
    "/api/shapes2": {"component": _STR},
}
QUERY_PARAMETERS["/api/app_metrics/stream_function_logs"] = QUERY_PARAMETERS[
    "/api/stream_function_logs"
]
QUERY_PARAMETERS["/api/app_metrics/stream_udf_execution"] = QUERY_PARAMETERS[
    "/api/stream_function_logs"
]

ERROR_BODY = _object({"code": _STR, "message": _STR}, ("code", "message"))
UDF_RESPONSE = _object(
    {
        "status": {"type": "string", "enum": ["success", "error"]},
        "value": _ANY,
        "errorMessage": _STR,
        "errorData": _ANY,
        "logLines": {"type": "array", "items": _STR},
    },
    ("status",),
)
_UDF_ENDPOINTS = {
    "/api/query",
    "/api/mutation",
    "/api/action",
    "/api/function",
    "/api/run/{segments}",
    "/api/query_at_ts",
}
_CONVERTER = re.compile(r"\{(\w+):\w+\}")


USER_OWNED = ("/http/", "/dashboard/{rest}")
"""Paths whose answers are not Convex's to shape: HTTP actions (the user's code answers)
and the dashboard's static files."""


def _operation(path: str, method: str) -> dict[str, Any]:
    error: dict[str, Any] = {"description": "A request or system error (§3.1.4)"}
    if not path.startswith(USER_OWNED):
        error["content"] = {JSON: {"schema": ERROR_BODY}}
    operation: dict[str, Any] = {
        "operationId": f"{method} {path}",
        "responses": {"200": {"description": "OK"}, "default": error},
    }
    if path in _UDF_ENDPOINTS:
        operation["responses"]["200"]["content"] = {JSON: {"schema": UDF_RESPONSE}}
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": _STR}
        for name in re.findall(r"\{(\w+)\}", path)
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in QUERY_PARAMETERS.get(path, {}).items()
    ]
    if parameters:
        operation["parameters"] = parameters
    if method == "post":
        if path in BODIES:
            content = {JSON: {"schema": BODIES[path]}}
            operation["requestBody"] = {"required": True, "content": content}
        elif path in RAW_BODIES:
            content = {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            }
            operation["requestBody"] = {"required": False, "content": content}
        else:  # the push endpoints and body-less calls: any JSON object
            operation["requestBody"] = {
                "required": False,
                "content": {JSON: {"schema": {"type": "object"}}},
            }
    return operation


def _routes(routes: list[BaseRoute]) -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for route in routes:
        if isinstance(route, Route):
            methods = sorted(m.lower() for m in (route.methods or ()) if m != "HEAD")
            found.append((_CONVERTER.sub(r"{\1}", route.path), methods))
        elif isinstance(route, Mount):
            prefix = route.path.rstrip("/")
            if prefix == "/dashboard":
                found += [("/dashboard/login", ["post"]), ("/dashboard/{rest}", ["get"])]
            else:
                found.append((f"{prefix}/{{rest}}", ["get", "post"]))
    return found


def describe(app: Any) -> dict[str, Any]:
    """The OpenAPI document of `app` (a `create_app` Starlette app)."""
    paths: dict[str, dict[str, Any]] = {}
    for path, methods in _routes(app.routes):
        if path == "/api/{rest}":
            continue  # the catch-all 404 of unknown endpoints
        entry = paths.setdefault(path, {})
        for method in methods:
            entry.setdefault(method, _operation(path, method))
    return {
        "openapi": "3.0.3",
        "info": {"title": "convexlite HTTP API", "version": "1"},
        "components": {
            "securitySchemes": {
                "convexAdminKey": {"type": "apiKey", "in": "header", "name": "Authorization"}
            }
        },
        "paths": paths,
    }
