"""Every HTTP endpoint with generated and mutated requests (docs/reliability.md, Fuzzing).

What must hold for any request: no 5xx (a fuzzed request is never the server's fault),
every refusal of an `/api/` endpoint is Convex's `{code, message}` body (§3.1.4), the
server logs no uncaught exception, and a refused request (an error status, or a
function error in the envelope) leaves the database exactly as it was.
"""

from __future__ import annotations

from typing import Any

from conftest import Harness, fuzz
from hypothesis import given
from hypothesis import strategies as st
from strategies import (
    CLIENTS,
    CONTENT_TYPES,
    FUNCTION_PATHS,
    JSON_VALUES,
    TEXT,
    authorizations,
    bodies,
    encoded_body,
    headers,
)

CALL = st.fixed_dictionaries(
    {"path": FUNCTION_PATHS, "args": JSON_VALUES},
    optional={"format": st.sampled_from(["json", "convex_encoded_json", "export_json", "x"])
              | JSON_VALUES, "componentPath": TEXT, "ts": TEXT},
)  # fmt: skip
SEND = st.fixed_dictionaries({"path": st.just("messages:send"), "args": st.fixed_dictionaries(
    {"author": TEXT, "body": TEXT | JSON_VALUES})})  # fmt: skip
OPERATOR = st.fixed_dictionaries(
    {},
    optional={
        "changes": JSON_VALUES | st.lists(st.fixed_dictionaries(
            {"name": TEXT, "value": TEXT | st.none()}), max_size=3),
        "id": JSON_VALUES, "udfPath": JSON_VALUES, "startNextTs": JSON_VALUES,
        "componentId": JSON_VALUES, "componentPath": JSON_VALUES, "tableNames": JSON_VALUES,
        "import": JSON_VALUES, "uploadToken": JSON_VALUES, "partTokens": JSON_VALUES,
        "importId": JSON_VALUES, "bundle": JSON_VALUES, "adminKey": JSON_VALUES,
        "readOnly": JSON_VALUES, "token": JSON_VALUES, "expiration_ts_ns": JSON_VALUES,
        "queries": st.lists(CALL, max_size=3) | JSON_VALUES,
    },
)  # fmt: skip

FUNCTION_ENDPOINTS = [
    "/api/query", "/api/mutation", "/api/action", "/api/function", "/api/query_at_ts",
    "/api/query_batch", "/api/run/messages/send", "/api/run/values/echo", "/api/run/x",
]  # fmt: skip
OPERATOR_ENDPOINTS = [
    "/api/update_environment_variables", "/api/v1/update_environment_variables",
    "/api/cancel_job", "/api/cancel_all_jobs", "/api/delete_scheduled_functions_table",
    "/api/import/finish_upload", "/api/perform_import", "/api/cancel_import",
    "/api/run_test_function", "/api/delete_tables", "/api/delete_component",
    "/api/dashboard/admin_key", "/api/export/set_expiration/x", "/api/export/cancel/x",
    "/dashboard/login", "/api/v1/create_usage_limit",
]  # fmt: skip
PUSH_ENDPOINTS = [
    "/api/get_config_hashes", "/api/deploy2/start_push", "/api/deploy2/evaluate_push",
    "/api/deploy2/finish_push", "/api/deploy2/wait_for_schema",
    "/api/deploy2/report_push_completed", "/api/deploy2/evaluate_schema",
]  # fmt: skip
RAW_ENDPOINTS = [
    "/api/storage/upload", "/api/storage/upload?token=x", "/api/import/upload_part",
    "/api/import/upload_part?uploadToken=x&partNumber=1", "/echo", "/http/echo/x",
]  # fmt: skip
NO_CONVEX_BODY = {404, 405, 413, 416}
"""Statuses that may come without Convex's body: routing misses and size refusals."""


def rejected(response: Any) -> bool:
    if response.status_code >= 400:
        return True
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("status") == "error"


def check(harness: Harness, method: str, path: str, body: bytes | None, head: dict) -> None:
    """Send one request; assert the properties of the module docstring."""
    before = harness.snapshot()
    response = harness.request(method, path, content=body, headers=head)
    status = response.status_code
    assert status < 500, (status, response.text[:500])
    if status >= 400 and status not in NO_CONVEX_BODY and path.startswith("/api/"):
        error = response.json()
        assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str)
    if rejected(response):
        assert harness.snapshot() == before, (status, response.text[:500])
    assert harness.errors.take() == []


@fuzz(100)
@given(
    data=st.data(),
    path=st.sampled_from(FUNCTION_ENDPOINTS),
    content_type=CONTENT_TYPES,
    client=CLIENTS,
)
def test_function_endpoints(harness, data, path, content_type, client):
    raw = data.draw(bodies(CALL | SEND))
    authorization = data.draw(authorizations(harness.admin_key))
    check(harness, "POST", path, raw, headers(content_type, None, authorization, client))


@fuzz(80)
@given(data=st.data(), path=st.sampled_from(OPERATOR_ENDPOINTS), content_type=CONTENT_TYPES)
def test_operator_endpoints(harness, data, path, content_type):
    raw = data.draw(bodies(OPERATOR))
    authorization = data.draw(authorizations(harness.admin_key))
    check(harness, "POST", path, raw, headers(content_type, None, authorization, None))


@fuzz(60)
@given(data=st.data(), path=st.sampled_from(PUSH_ENDPOINTS))
def test_push_endpoints_with_compressed_bodies(harness, data, path):
    shaped = st.fixed_dictionaries({}, optional={
        "adminKey": st.just(harness.admin_key) | JSON_VALUES, "modules": JSON_VALUES,
        "appDefinition": JSON_VALUES, "dryRun": JSON_VALUES, "functions": JSON_VALUES,
        "requestId": JSON_VALUES, "schemaChange": JSON_VALUES, "startPush": JSON_VALUES,
    })  # fmt: skip
    raw, encoding = data.draw(bodies(shaped).flatmap(encoded_body))
    authorization = data.draw(st.none() | authorizations(harness.admin_key))
    check(harness, "POST", path, raw, headers("application/json", encoding, authorization, None))


@fuzz(60)
@given(
    path=st.sampled_from(RAW_ENDPOINTS),
    raw=st.binary(max_size=256),
    content_type=CONTENT_TYPES,
    digest=st.none() | st.sampled_from(["sha-256=", "sha-256=AAAA", "md5=x", "garbage"]),
    data=st.data(),
)
def test_raw_body_endpoints(harness, path, raw, content_type, digest, data):
    head = headers(content_type, None, data.draw(authorizations(harness.admin_key)), None)
    if digest is not None:
        head["digest"] = digest.encode()
    check(harness, "POST", path, raw, head)


QUERY_VALUES = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["0", "-1", "1e999", "nan", "inf", "3f0e4c2a-9b1d-4c7e-8a55-2d6f0b9e1a77", "4294967296"]
)
GET_PATHS = st.sampled_from(
    ["/api/stream_function_logs", "/api/app_metrics/stream_udf_execution",
     "/api/app_metrics/latencyPercentiles", "/api/app_metrics/x", "/api/shapes2",
     "/api/check_admin_key", "/api/list_environment_variables", "/api/v1/deployment_info",
     "/api/dashboard/storage", "/metrics", "/api/export/zip/1", "/api/v1/get_canonical_urls",
     "/version", "/dashboard/", "/http/hello"]
) | TEXT.map(lambda t: "/api/storage/" + t.encode("utf-8", "replace").hex()[:40]) | TEXT.map(
    lambda t: "/api/export/zip/" + t.encode("utf-8", "replace").hex()[:40])  # fmt: skip


@fuzz(80)
@given(
    path=GET_PATHS,
    params=st.dictionaries(
        st.sampled_from(["cursor", "sessionId", "clientRequestCounter", "component", "adminKey",
                         "startTime", "endTime", "numBuckets", "udfPath", "percentiles"]),
        QUERY_VALUES, max_size=4),
    range_header=st.none() | st.sampled_from(["bytes=0-1", "bytes=-5", "bytes=9-1", "bytes=x",
                                              "bytes=0-1,2-3", "bytes=99999999999999999999-"]),
    data=st.data(),
)  # fmt: skip
def test_get_endpoints(harness, path, params, range_header, data):
    head = headers(None, None, data.draw(authorizations(harness.admin_key)), None)
    if range_header is not None:
        head["range"] = range_header.encode()
    before = harness.snapshot()
    response = harness.request("GET", path, params=params, headers=head)
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert harness.snapshot() == before
    assert harness.errors.take() == []
