"""The push protocol through an engine with a fake analyzer (spec/functions.md §1.4)."""

from __future__ import annotations

import base64

import pytest
from engine_pushes import STRING, insert, push, refusal
from fake_analyzer import (
    CHUNK,
    MESSAGES,
    VERSION,
    FakeAnalyzer,
    analyzed,
    fn,
    hash_of,
    module,
    push_body,
    schema_json,
)

from convexlite.deploy.errors import PUSH_PREFIX
from convexlite.errors import ConvexBackendError
from convexlite.functions.app import App
from convexlite.functions.schema import SchemaEnforcementError
from convexlite.values import Int64


def user_indexes(engine):
    registry = engine.db.registry
    out = {}
    for table in registry.tables_by_name.values():
        if table.is_system:
            continue
        for ix in registry.table_indexes(table.tablet_id):
            if ix.descriptor not in ("by_id", "by_creation_time"):
                out[f"{table.name}.{ix.descriptor}"] = (ix.field_names, ix.state)
    return out


def test_fresh_deployment_has_no_modules(engine):
    assert engine.push("get_config_hashes", {"version": VERSION}) == {
        "config": {"functions": "convex/"},
        "moduleHashes": [],
        "udfServerVersion": None,
        "nodeVersion": None,
    }


def test_push_lifecycle_serves_and_reports_hashes(engine):
    started, waited, finished = push(engine, push_body([MESSAGES, CHUNK]))
    root = started["analysis"][""]
    assert set(root["functions"]) == {"messages.js"}  # `_deps/` chunks have no analysis
    assert root["functions"]["messages.js"]["functions"][0]["name"] == "list"
    assert root["definition"]["path"] == "" and root["schema"] is None
    udf = root["udfConfig"]
    assert udf["serverVersion"] == VERSION
    assert len(base64.b64decode(udf["importPhaseRngSeed"]["$bytes"])) == 32
    assert started["environmentVariables"] == {}
    assert started["app"]["httpRoutes"] == {"httpModuleRoutes": None, "mounts": []}
    assert started["schemaChange"]["indexDiffs"][""] == {
        "added_indexes": [], "removed_indexes": [], "enabled_indexes": [], "disabled_indexes": []
    }  # fmt: skip
    assert waited == {"type": "complete"}
    diff = finished["componentDiffs"][""]
    assert diff["diffType"] == {"type": "create"}
    assert diff["moduleDiff"] == {"added": ["_deps/ABC123.js", "messages.js"], "removed": []}
    assert diff["udfConfigDiff"] == {"previous_version": "0.0.0", "next_version": VERSION}
    assert finished["authDiff"] == {"added": [], "removed": []}

    hashes = engine.push("get_config_hashes", {})
    assert hashes["udfServerVersion"] == VERSION
    assert hashes["moduleHashes"] == [
        {"path": "_deps/ABC123.js", "hash": hash_of(CHUNK), "environment": "isolate"},
        {"path": "messages.js", "hash": hash_of(MESSAGES), "environment": "isolate"},
    ]
    assert engine.pushed is not None
    assert engine.pushed.modules["messages.js"].source == MESSAGES["source"]
    assert engine.pushed.udf_paths() == ["messages:list", "messages:send"]
    assert engine.push("report_push_completed", {"spans": []}) is None


def test_module_hash_is_sha256_of_source_then_source_map():
    import hashlib

    m = module("a.js", None, "abc", source_map="def")
    assert hash_of(m) == hashlib.sha256(b"abcdef").hexdigest()
    assert hash_of({"source": "abc", "sourceMap": None}) == hashlib.sha256(b"abc").hexdigest()


def test_unchanged_modules_come_from_the_active_deployment(engine):
    started, _, _ = push(engine, push_body([MESSAGES, CHUNK]))
    seed = started["analysis"][""]["udfConfig"]
    other = module("other.js", analyzed(fn("get")))
    unchanged = [{"path": "messages.js", "environment": "isolate", "sha256": hash_of(MESSAGES)}]
    again, _, finished = push(engine, push_body([other], unchanged=unchanged))
    assert set(again["analysis"][""]["functions"]) == {"messages.js", "other.js"}
    assert again["analysis"][""]["udfConfig"] == seed  # same CLI version: config reused
    diff = finished["componentDiffs"][""]
    assert diff["moduleDiff"] == {"added": ["other.js"], "removed": ["_deps/ABC123.js"]}
    assert diff["udfConfigDiff"] is None and diff["diffType"] == {"type": "modify"}
    assert engine.pushed.modules["messages.js"].source == MESSAGES["source"]

    newer, _, finished = push(engine, push_body([MESSAGES], version="1.49.0"))
    assert newer["analysis"][""]["udfConfig"]["importPhaseRngSeed"] != seed["importPhaseRngSeed"]
    assert finished["componentDiffs"][""]["udfConfigDiff"] == {
        "previous_version": VERSION, "next_version": "1.49.0"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        ({"path": "messages.js", "environment": "isolate", "sha256": "0" * 64},
         "ExistingModuleHashConflict"),
        ({"path": "messages.js", "environment": "node", "sha256": hash_of(MESSAGES)},
         "ExistingModuleEnvConflict"),
        ({"path": "gone.js", "environment": "isolate", "sha256": "0" * 64},
         "MissingExistingModule"),
    ],
)  # fmt: skip
def test_stale_unchanged_hashes_conflict(engine, entry, code):
    push(engine, push_body([MESSAGES]))
    error = refusal(engine, "start_push", push_body([], unchanged=[entry]))
    assert (error.status, error.code) == (409, code)
    assert error.message.startswith(PUSH_PREFIX)


def test_node_modules_without_node_are_refused_with_their_paths(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `node` there
    node = module("actions/sendEmail.js", analyzed(fn("send", "Action")), env="node")
    other = module("nodeStuff.js", None, '"use node";', env="node")
    error = refusal(engine, "start_push", push_body([MESSAGES, node, other]))
    assert (error.status, error.code) == (400, "NodeActionsNotSupported")
    assert error.message.startswith(PUSH_PREFIX + "'use node' modules need Node.js 20 or newer")
    assert "actions/sendEmail.js, nodeStuff.js" in error.message
    assert engine.push("get_config_hashes", {})["moduleHashes"] == []


def tally_definition(functions=None, **extra):
    """The `componentDefinitions` entry of a component `tally` with a `counts` table."""
    metadata = {"name": "tally", "definitionType": {"type": "childComponent", "name": "tally",
                "args": []}, "childComponents": [], "httpMounts": {},
                "exports": {"type": "branch", "branch": []}}  # fmt: skip
    counts = {"counts": {"fields": {"value": {"type": "number"}},
                         "indexes": {"by_value": ["value"]}}}  # fmt: skip
    get, hidden = fn("get"), fn("hidden", visibility="internal")
    return {
        "definitionPath": "tally",
        "definition": module("convex.config.js", metadata),
        "dependencies": [],
        "schema": module("schema.js", schema_json(counts)),
        "functions": functions or [module("counts.js", analyzed(get, hidden))],
        **extra,
    }


APP_USING_TALLY = {"definitionType": {"type": "app"}, "httpMounts": {},
                   "childComponents": [{"name": "tally", "path": "tally", "args": []},
                                       {"name": "other", "path": "tally", "args": []}],
                   "exports": {"type": "branch", "branch": []}}  # fmt: skip


def test_component_definitions_are_analysed_and_instantiated(engine):
    body = push_body([MESSAGES], definition=APP_USING_TALLY, components=[tally_definition()])
    started, waited, finished = push(engine, body)
    analysis = started["analysis"]["tally"]
    assert analysis["definition"]["path"] == "tally"
    assert analysis["definition"]["exports"] == {"type": "branch", "branch": [
        ["counts", {"type": "branch", "branch": [
            ["get", {"type": "leaf", "leaf": "_reference/function/counts.js:get"}]]}]]}  # fmt: skip
    assert set(analysis["functions"]) == {"counts.js"}
    assert analysis["schema"]["tables"][0]["tableName"] == "counts"
    children = started["app"]["childComponents"]
    assert {name: c["componentPath"] for name, c in children.items()} == {
        "tally": "tally", "other": "other"
    }  # fmt: skip
    diffs = started["schemaChange"]["indexDiffs"]
    added = {"name": "counts.by_value", "type": "database", "fields": ["value"]}
    assert diffs["tally"]["added_indexes"] == diffs["other"]["added_indexes"] == [added]
    assert diffs[""]["added_indexes"] == [] and waited == {"type": "complete"}
    # two instances, two tables, each with the index
    assert set(user_indexes(engine)) == {"tally/counts.by_value", "other/counts.by_value"}
    assert engine.pushed.udf_paths() == ["messages:list", "messages:send"]
    assert engine.runner.describe("tally|counts:hidden", internal_ok=True) is not None
    assert engine.runner.describe("tally|counts:get", internal_ok=False) is None
    created = finished["componentDiffs"]["other"]
    assert created["diffType"] == {"type": "create"}
    assert created["moduleDiff"] == {"added": ["counts.js"], "removed": []}
    assert created["indexDiff"]["added_indexes"] == [added]
    # a push without the component unmounts both instances
    _, _, finished = push(engine, push_body([MESSAGES]))
    assert {p: d["diffType"]["type"] for p, d in finished["componentDiffs"].items()} == {
        "": "modify", "tally": "unmount", "other": "unmount"
    }  # fmt: skip
    assert engine.runner.describe("tally|counts:get", internal_ok=True) is None


def test_a_components_stored_documents_are_checked_against_its_schema(engine):
    tx = engine.db.begin()
    tx.insert("tally/counts", {"value": "not a number"})
    engine.db.commit(tx)
    body = push_body([MESSAGES], definition=APP_USING_TALLY, components=[tally_definition()])
    started = engine.push("start_push", body)
    waited = engine.push("wait_for_schema", {"schemaChange": started["schemaChange"]})
    assert (waited["type"], waited["componentPath"], waited["tableName"]) == (
        "failed", "tally", "counts"
    )  # fmt: skip
    assert 'in table "counts" does not match the schema' in waited["error"]


def test_component_definitions_are_checked(engine):
    node = module("send.js", analyzed(fn("send", "Action")), env="node")
    body = push_body([MESSAGES], definition=APP_USING_TALLY,
                     components=[tally_definition([node])])  # fmt: skip
    error = refusal(engine, "start_push", body)
    assert error.code == "InvalidConfig"
    assert "Node actions are not supported in components: send.js in tally" in error.message
    error = refusal(engine, "start_push", push_body([MESSAGES], definition=APP_USING_TALLY))
    assert error.code == "InvalidConvexConfig" and "'path': 'tally'" in error.message
    missing = tally_definition(dependencies=["../node_modules/x"])
    error = refusal(engine, "start_push", push_body([MESSAGES], components=[missing]))
    assert error.code == "InvalidConvexConfig" and "../node_modules/x" in error.message


def test_app_definition_is_evaluated_and_env_vars_kept(engine):
    definition = {"definitionType": {"type": "app"}, "childComponents": [], "httpMounts": {},
                  "exports": {"type": "branch", "branch": []},
                  "envVars": [["API_URL", {"type": "value", "value": '{"type":"string"}'}]]}  # noqa: E501  # fmt: skip
    started = engine.push("start_push", push_body([MESSAGES], definition=definition))
    assert started["analysis"][""]["definition"]["envVars"][0][0] == "API_URL"
    assert started["analysis"][""]["definition"]["path"] == ""
    error = refusal(engine, "finish_push", {"startPush": started, "dryRun": False})
    assert error.code == "MissingEnvironmentVariables" and "API_URL" in error.message
    engine.set_environment_variables({"API_URL": "https://api"})
    started = engine.push("start_push", push_body([MESSAGES], definition=definition))
    assert started["environmentVariables"] == {"API_URL": "https://api"}
    engine.push("finish_push", {"startPush": started, "dryRun": False})
    with pytest.raises(ConvexBackendError) as unset:
        engine.set_environment_variables({"API_URL": None})
    assert unset.value.code == "RequiredEnvironmentVariable"
    engine.set_environment_variables({"API_URL": "https://other"})


def test_invalid_requests(engine):
    bad_path = push_body([module("bad-name.js", None)])
    error = refusal(engine, "start_push", bad_path)
    assert error.code == "InvalidConfig" and "bad-name.js is not a valid path" in error.message
    assert refusal(engine, "start_push", push_body([MESSAGES], version="latest")).code == (
        "InvalidConfig"
    )
    failing = module("boom.js", None, 'throw new Error("kaboom");')
    error = refusal(engine, "start_push", push_body([failing]))
    assert error.code == "InvalidModules"
    assert error.message.startswith(
        PUSH_PREFIX + "Loading the pushed modules encountered the following error:\n"
    )
    assert "kaboom" in error.message
    bad_name = module("m.js", analyzed(fn("__")))
    assert refusal(engine, "start_push", push_body([bad_name])).code == "InvalidFunctionName"


def test_crons_must_schedule_mutations_or_actions(engine):
    def crons(path):
        schedule = {"type": "cron", "cronExpr": "0 3 * * *"}
        spec = {"udfPath": path, "udfArgs": [{}], "cronSchedule": schedule}
        return module("crons.js", analyzed(crons=[{"identifier": "nightly", "spec": spec}]))

    error = refusal(engine, "start_push", push_body([MESSAGES, crons("messages:list")]))
    assert error.code == "InvalidCronJobs" and "query function" in error.message
    error = refusal(engine, "start_push", push_body([MESSAGES, crons("messages:nope")]))
    assert "does not exist: messages:nope" in error.message
    _, _, finished = push(engine, push_body([MESSAGES, crons("messages.js:send")]))
    cron_diff = finished["componentDiffs"][""]["cronDiff"]
    assert cron_diff == {"added": ["nightly"], "updated": [], "deleted": []}
    assert list(engine.pushed.crons) == ["nightly"]
    [(name, spec)] = engine.pushed.cron_jobs()
    assert (name, spec.udf_path, spec.schedule.cron_expr) == (
        "nightly",
        "messages.js:send",
        "0 3 * * *",
    )


def test_crons_must_be_valid_specs(engine):
    def crons(schedule):
        spec = {"udfPath": "messages:send", "udfArgs": [{}], "cronSchedule": schedule}
        return module("crons.js", analyzed(crons=[{"identifier": "bad", "spec": spec}]))

    never = crons({"type": "cron", "cronExpr": "0 0 30 2 *"})
    error = refusal(engine, "start_push", push_body([MESSAGES, never]))
    assert error.code == "InvalidCron" and "will never match any time" in error.message
    late = crons({"type": "daily", "hourUTC": 24})
    error = refusal(engine, "start_push", push_body([MESSAGES, late]))
    assert (
        error.code == "InvalidCron"
        and "The cron job 'bad' is invalid: Hour of day" in error.message
    )


def test_http_routes_and_auth(engine):
    routes = [{"route": {"path": "/hello", "method": "GET"}, "pos": None},
              {"route": {"path": "/files/*", "method": "POST"}, "pos": None}]  # fmt: skip
    http = module("http.js", analyzed(routes=routes))
    provider = {"applicationID": "convex", "domain": "https://issuer.example.com"}
    auth = module("auth.config.js", [provider])
    started, _, finished = push(engine, push_body([MESSAGES, http, auth]))
    assert started["app"]["httpRoutes"]["httpModuleRoutes"] == [
        {"path": "/hello", "method": "GET"}, {"path": "/files/*", "method": "POST"}
    ]  # fmt: skip
    assert started["appAuth"] == [provider]
    assert started["analysis"][""]["functions"]["auth.config.js"]["functions"] == []
    assert finished["authDiff"]["added"] == [
        '{"applicationID": "convex", "domain": "https://issuer.example.com"}'
    ]
    assert [r.method for r in engine.pushed.http_routes] == ["GET", "POST"]


def test_schema_push_builds_indexes_and_enforces_documents(engine):
    insert(engine, "messages", {"author": "ada", "body": "hi"})
    schema = schema_json(
        {"messages": {"fields": {"author": STRING, "body": STRING},
                      "indexes": {"by_author": ["author"]}}}
    )  # fmt: skip
    evaluated = engine.push("evaluate_schema", push_body([MESSAGES], schema=schema))
    root = evaluated["componentSchemaEvaluations"][""]
    assert root["tables"] == [{"name": "messages", "outcome": "mustWalk", "numDocs": 1,
                               "sizeBytes": root["tables"][0]["sizeBytes"]}]  # fmt: skip
    assert root["indexes"] == [{"name": "messages.by_author", "type": "database",
                                "fields": ["author"], "change": "added", "needsBackfill": True,
                                "numDocs": 1}]  # fmt: skip
    assert evaluated["newComponentDefinitions"] == []
    evaluated_push = engine.push("evaluate_push", push_body([MESSAGES], schema=schema))
    added = [{"name": "messages.by_author", "type": "database", "fields": ["author"]}]
    assert evaluated_push["schemaChange"]["indexDiffs"][""]["added_indexes"] == added
    assert user_indexes(engine) == {}  # evaluations change nothing

    started, waited, finished = push(engine, push_body([MESSAGES], schema=schema))
    assert started["schemaChange"]["indexDiffs"][""]["added_indexes"] == added
    assert waited == {"type": "complete"}
    assert finished["componentDiffs"][""]["indexDiff"]["added_indexes"] == added
    assert finished["componentDiffs"][""]["schemaDiff"]["previous_schema"] is None
    assert user_indexes(engine) == {"messages.by_author": (["author", "_creationTime"], "Enabled")}
    with pytest.raises(SchemaEnforcementError):
        insert(engine, "messages", {"author": 1, "body": "x"})

    # A later push without the index drops it; one without a schema stops enforcing.
    schema2 = schema_json({"messages": {"fields": {"author": STRING, "body": STRING}}})
    _, _, finished = push(engine, push_body([MESSAGES], schema=schema2))
    removed = finished["componentDiffs"][""]["indexDiff"]["removed_indexes"]
    assert removed == added and user_indexes(engine) == {}
    push(engine, push_body([MESSAGES]))
    insert(engine, "messages", {"author": 1})


def test_schema_violation_is_reported_and_refused(engine):
    push(engine, push_body([MESSAGES]))
    before = engine.pushed
    doc_id = insert(engine, "messages", {"author": 7})
    schema = schema_json({"messages": {"fields": {"author": STRING}, "indexes": {"a": ["author"]}}})
    started = engine.push("start_push", push_body([MESSAGES], schema=schema))
    waited = engine.push("wait_for_schema", {"schemaChange": started["schemaChange"]})
    assert waited["type"] == "failed" and waited["tableName"] == "messages"
    assert waited["componentPath"] == ""
    assert waited["error"].startswith(
        f'Document with ID "{doc_id}" in table "messages" does not match the schema:'
    )
    error = refusal(engine, "finish_push", {"startPush": started, "dryRun": False})
    assert error.message.startswith(PUSH_PREFIX + "Document with ID")
    assert engine.pushed is before and user_indexes(engine) == {}


def test_dry_runs_change_nothing(engine):
    schema = schema_json({"messages": {"fields": {"author": STRING}, "indexes": {"i": ["author"]}}})
    started, waited, finished = push(engine, push_body([MESSAGES], schema=schema, dry_run=True))
    assert started["schemaChange"]["indexDiffs"][""]["added_indexes"]
    assert waited == {"type": "complete"}
    assert finished == {"authDiff": {"added": [], "removed": []}, "definitionDiffs": {},
                        "componentDiffs": {}}  # fmt: skip
    assert engine.pushed is None and user_indexes(engine) == {}
    assert engine.push("get_config_hashes", {})["moduleHashes"] == []


def test_a_newer_push_supersedes_a_pending_one(engine):
    first = engine.push("start_push", push_body([MESSAGES]))
    second = engine.push("start_push", push_body([MESSAGES, CHUNK]))
    assert engine.push("wait_for_schema", {"schemaChange": first["schemaChange"]}) == {
        "type": "raceDetected"
    }
    assert refusal(engine, "finish_push", {"startPush": first}).code == "ConcurrentPush"
    engine.push("finish_push", {"startPush": second})
    assert set(engine.pushed.modules) == {"messages.js", "_deps/ABC123.js"}
    assert refusal(engine, "finish_push", {"startPush": second}).code == "UnknownPush"


def test_environment_change_during_push_is_a_race(engine):
    started = engine.push("start_push", push_body([MESSAGES]))
    engine.pushes.environment_variables = lambda: {"OPENAI_KEY": "sk"}
    error = refusal(engine, "finish_push", {"startPush": started})
    assert error.code == "RaceDetected"
    assert error.message == PUSH_PREFIX + "Environment variables have changed during push"
    again = engine.push("start_push", push_body([MESSAGES]))
    assert again["environmentVariables"] == {"OPENAI_KEY": "sk"}
    engine.push("finish_push", {"startPush": again})


def test_pushed_path_defined_by_the_python_app_is_refused(engines):
    app = App()

    @app.query(name="messages:list")
    def list_messages(ctx, args):
        return []

    engine = engines.open(app)
    for operation, body in [
        ("start_push", push_body([MESSAGES])),
        ("start_push", push_body([MESSAGES], dry_run=True)),
        ("evaluate_push", push_body([MESSAGES])),
    ]:
        error = refusal(engine, operation, body)
        assert "messages:list" in error.message and error.message.startswith(PUSH_PREFIX)
        assert error.code == "InvalidModules"
    assert engine.pushed is None
    assert engine.push("get_config_hashes", {})["moduleHashes"] == []


def test_restart_serves_the_last_push(engines):
    engine = engines.open()
    big = "// ünïcødé ✓\n" + "const x = 'abcdefghij';\n" * 130_000  # > 3 MB
    assert len(big.encode()) > 3_000_000
    source_map = "{" + "m" * 700_000 + "}"
    bundle = module("big.js", analyzed(fn("run", "Mutation")), big, source_map=source_map)
    schema = schema_json({"messages": {"fields": {"author": STRING}, "indexes": {"a": ["author"]}}})
    push(engine, push_body([MESSAGES, bundle], schema=schema))
    pushed = engine.pushed
    hashes = engine.push("get_config_hashes", {})
    engines.close_all()

    reopened = engines.open()
    assert reopened.pushed == pushed
    assert reopened.pushed.modules["big.js"].source.endswith(big)
    assert reopened.push("get_config_hashes", {}) == hashes
    with pytest.raises(SchemaEnforcementError):
        insert(reopened, "messages", {"author": 3})
    unchanged = [{"path": "big.js", "environment": "isolate", "sha256": hash_of(bundle)}]
    started, _, _ = push(reopened, push_body([MESSAGES], unchanged=unchanged, schema=schema))
    assert started["analysis"][""]["udfConfig"]["serverVersion"] == VERSION
    # The content-addressed chunks of an unchanged module are kept, not rewritten.
    assert reopened.pushed.modules["big.js"] == pushed.modules["big.js"]


def test_module_code_lives_in_the_modules_blob_store(engines):
    engine = engines.open()
    bundle = module("big.js", None, "x" * 3_000_000)
    push(engine, push_body([bundle]))
    blobs = engine.blobs.modules
    sha = hash_of(bundle)
    stored = list(blobs.keys())
    assert {key.partition("-")[0] for key in stored} == {sha}
    assert b"".join(blobs.read(f"{sha}-source")).decode().endswith("x" * 3_000_000)
    assert engine.db.registry.table("_source_packages") is None
    push(engine, push_body([MESSAGES]))
    stored = list(blobs.keys())
    assert {key.partition("-")[0] for key in stored} == {hash_of(MESSAGES)}  # old code gone


def test_a_store_with_code_in_source_packages_rows_still_loads(engines):
    """Stores saved before module code moved to the blob store kept it in rows."""
    engine = engines.open()
    push(engine, push_body([MESSAGES]))
    pushed = engine.pushed
    sha = hash_of(MESSAGES)
    source = b"".join(engine.blobs.modules.read(f"{sha}-source")).decode()
    tx = engine.db.begin()
    for seq, start in enumerate(range(0, len(source), 100)):
        tx.insert(
            "_source_packages",
            {
                "sha256": sha,
                "part": "source",
                "seq": Int64(seq),
                "text": source[start : start + 100],
            },
        )
    engine.db.commit(tx)
    engine.blobs.modules.delete(f"{sha}-source")
    engines.close_all()
    reopened = engines.open()
    assert reopened.pushed == pushed
    push(reopened, push_body([MESSAGES, CHUNK]))
    assert reopened.db.begin(read_only=True).table("_source_packages") is not None
    assert f"{sha}-source" in set(reopened.blobs.modules.keys())


def test_analyzer_sees_modules_and_env(engines):
    analyzer = FakeAnalyzer()
    engine = engines.open(analyzer=analyzer)
    push(engine, push_body([MESSAGES, CHUNK, module("auth.config.js", [])]))
    kind, seen = analyzer.calls[0]
    assert kind == "analyze"
    assert seen["paths"] == ["_deps/ABC123.js", "messages.js"]  # auth config evaluated apart
    assert seen["env"]["CONVEX_CLOUD_URL"] == "http://127.0.0.1:3210"
    assert ("auth", {"path": "auth.config.js"}) in analyzer.calls
