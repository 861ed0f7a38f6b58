"""Push-time analysis (functions.md §1.6–§1.8) of the real CLI bundle through
convexlite/js/analysis.py, in a mini-racer context with the host prelude."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from prelude_harness import STUB_BRIDGE, RacerContext, bundle_once, functions_bundle

from convexlite.deploy.crons import validate_crons
from convexlite.deploy.errors import InvalidCronJobs
from convexlite.errors import BadRequestError
from convexlite.js.analysis import (
    AuthConfigMissingEnvironmentVariable,
    InvalidFunctionName,
    InvalidModules,
    analyze_modules,
    evaluate_app_definition,
    evaluate_auth_config,
    evaluate_schema,
)

PHASE = {
    "env": {"AUTH_DOMAIN": "https://auth.example"},
    "seed": bytes(range(32)),
    "import_time_ns": 1_700_000_000_000_000_000,
}


@pytest.fixture(scope="session")
def full_bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return bundle_once(tmp_path_factory)


@pytest.fixture
def context() -> Iterator[RacerContext]:
    ctx = RacerContext()
    ctx.eval(STUB_BRIDGE)
    yield ctx
    ctx.close()


def obj(**fields: tuple[dict, bool]) -> str:
    value = {name: {"fieldType": t, "optional": o} for name, (t, o) in fields.items()}
    return json.dumps({"type": "object", "value": value}, separators=(",", ":"))


def fn(name: str, udf: str, visibility: str, args: str, returns: str = "null") -> dict:
    return {
        "name": name,
        "pos": None,
        "udfType": udf,
        "visibility": {"kind": visibility},
        "args": args,
        "returns": returns,
    }


STRING = {"type": "string"}


def empty() -> dict:
    return {"functions": [], "httpRoutes": None, "cronSpecs": None, "sourceMapped": None}


def test_the_bundle_analyses_to_the_expected_modules(context, full_bundle) -> None:
    analyzed = analyze_modules(context, functions_bundle(full_bundle), **PHASE)
    assert not any(path.startswith("_deps/") for path in analyzed)
    assert analyzed["notes.js"] == {
        **empty(),
        "functions": [
            fn(
                "add",
                "Mutation",
                "public",
                obj(author=(STRING, False), body=(STRING, False)),
                '{"type":"id","tableName":"notes"}',
            ),
            fn("list", "Query", "public", obj(author=(STRING, True))),
            fn(
                "pin", "Mutation", "internal", obj(id=({"type": "id", "tableName": "notes"}, False))
            ),
        ],
    }
    assert analyzed["stats.js"]["functions"] == [
        fn("count", "Query", "internal", obj(), '{"type":"number"}'),
        fn(
            "default",
            "Query",
            "public",
            obj(text=(STRING, False), times=({"type": "number"}, True)),
        ),
        fn("echo", "Query", "public", obj(text=(STRING, False), times=({"type": "number"}, True))),
    ]
    assert [f["udfType"] for f in analyzed["probes.js"]["functions"]] == [
        "Query",
        "Query",
        "Mutation",
        "Query",
        "Query",
        "Action",
    ]
    assert analyzed["lib/tally.js"] == empty()
    assert analyzed["auth.config.js"] == empty()


def test_http_routes_and_cron_specs(context, full_bundle) -> None:
    analyzed = analyze_modules(context, functions_bundle(full_bundle), **PHASE)
    assert analyzed["http.js"] == {
        **empty(),
        "httpRoutes": [
            {"route": {"path": "/echo", "method": "POST"}, "pos": None},
            {"route": {"path": "/hello", "method": "GET"}, "pos": None},
            {"route": {"path": "/files/*", "method": "GET"}, "pos": None},
        ],
    }
    assert analyzed["crons.js"]["cronSpecs"] == [
        {
            "identifier": "tick",
            "spec": {
                "udfPath": "notes:pin",
                "udfArgs": [{"id": "abc"}],
                "cronSchedule": {"type": "interval", "seconds": 300},
            },
        },
        {
            "identifier": "nightly",
            "spec": {
                "udfPath": "notes:add",
                "udfArgs": [{"author": "cron", "body": "night"}],
                "cronSchedule": {"type": "cron", "cronExpr": "0 3 * * *"},
            },
        },
        {
            "identifier": "daily",
            "spec": {
                "udfPath": "notes:add",
                "udfArgs": [{"author": "a", "body": "b"}],
                "cronSchedule": {"type": "daily", "hourUTC": 4, "minuteUTC": 30},
            },
        },
    ]


def test_schema_export(context, full_bundle) -> None:
    assert evaluate_schema(context, full_bundle, **PHASE) == {
        "tables": [
            {
                "tableName": "notes",
                "indexes": [{"indexDescriptor": "by_author", "fields": ["author"]}],
                "stagedDbIndexes": [],
                "searchIndexes": [],
                "stagedSearchIndexes": [],
                "vectorIndexes": [],
                "stagedVectorIndexes": [],
                "documentType": json.loads(
                    obj(
                        author=(STRING, False),
                        body=(STRING, False),
                        pinned=({"type": "boolean"}, False),
                    )
                ),
            }
        ],
        "schemaValidation": True,
    }
    assert evaluate_schema(context, {}, **PHASE) is None


def test_app_definition(context, full_bundle) -> None:
    assert evaluate_app_definition(context, full_bundle, **PHASE) == {
        "definitionType": {"type": "app"},
        "childComponents": [],
        "httpMounts": {},
        "exports": {"type": "branch", "branch": []},
        "envVars": [["API_URL", {"type": "value", "value": '{"type":"string"}'}]],
    }
    assert evaluate_app_definition(context, {}, **PHASE)["definitionType"] == {"type": "app"}


def test_auth_config(context, full_bundle) -> None:
    assert evaluate_auth_config(context, full_bundle, **PHASE) == [
        {"domain": "https://auth.example", "applicationID": "convex"}
    ]
    assert evaluate_auth_config(context, {}, **PHASE) == []


def test_auth_config_with_a_missing_env_var(context, full_bundle) -> None:
    with pytest.raises(AuthConfigMissingEnvironmentVariable) as missing:
        evaluate_auth_config(context, full_bundle, **{**PHASE, "env": {}})
    assert missing.value.code == "AuthConfigMissingEnvironmentVariable"
    assert isinstance(missing.value, BadRequestError)
    assert missing.value.message == (
        "Environment variable AUTH_DOMAIN is used in auth config file but its value was not set"
    )


def test_a_throwing_module_fails_with_its_error_and_logs(context) -> None:
    modules = {"bad.js": 'console.log("about to fail");\nthrow new Error("kaput");\n'}
    with pytest.raises(InvalidModules) as failed:
        analyze_modules(context, modules, **PHASE)
    message = failed.value.message
    assert message.startswith(
        "Loading the pushed modules encountered the following error:\n"
        "Failed to analyze bad.js: Uncaught Error: kaput\n    at "
    )
    assert "convex:/bad.js:2:" in message
    assert failed.value.logs == ["[LOG] 'about to fail'"]
    assert message.endswith("[LOG] 'about to fail'")


def test_unsupported_syntax_names_file_and_line(context) -> None:
    with pytest.raises(InvalidModules) as failed:
        analyze_modules(context, {"m.js": "var a = 1;\nexport default a;\n"}, **PHASE)
    assert "m.js:2: " in failed.value.message
    assert failed.value.code == "InvalidModules"


def test_db_use_at_import_time_fails(context) -> None:
    source = 'Convex.syscall("1.0/queryStream", "{}");\n'
    with pytest.raises(InvalidModules) as failed:
        analyze_modules(context, {"m.js": source}, **PHASE)
    assert "Can't use database at import time" in failed.value.message


def test_invalid_function_names_are_refused(context) -> None:
    source = 'var q = { isQuery: true, isPublic: true };\nexport {\n  q as "bad-name"\n};\n'
    with pytest.raises(InvalidFunctionName) as failed:
        analyze_modules(context, {"m.js": source}, **PHASE)
    assert failed.value.code == "InvalidFunctionName"
    assert '"bad-name"' in failed.value.message


def test_http_js_must_export_a_router(context) -> None:
    with pytest.raises(InvalidModules) as failed:
        analyze_modules(context, {"http.js": "var a = 1;\nexport { a };\n"}, **PHASE)
    assert "`convex/http.js` must have a default export of a Router." in failed.value.message


def test_crons_are_validated_by_the_push_not_the_analysis(context) -> None:
    source = (
        "var q = { isQuery: true, isPublic: true };\n"
        'var crons = { isCrons: true, export: () => JSON.stringify({c: {name: "m:q", args: [{}],'
        ' schedule: {type: "cron", cron: "* * * * *"}}}) };\n'
        "export { q, crons as default };\n"
    )
    analyzed = analyze_modules(
        context,
        {
            "m.js": source.replace(", crons as default", ""),
            "crons.js": source.replace("q, ", ""),
        },
        **PHASE,
    )
    crons = {c["identifier"]: c["spec"] for c in analyzed["crons.js"]["cronSpecs"]}
    with pytest.raises(InvalidCronJobs, match="schedules a query function"):
        validate_crons(analyzed, crons)
