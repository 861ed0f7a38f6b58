"""The dashboard's HTTP tools (spec/operator.md §4.1–4.3, §4.5) through an ASGI transport:
one-off test queries, table shapes, table and component deletion."""

from __future__ import annotations

import asyncio
import time

import pytest

from convexlite import App, Backend, define_schema, define_table, v
from convexlite.auth.keys import issue_admin_key
from convexlite.errors import ConvexBackendError

PREAMBLE = 'import { query, internalQuery } from "convex:/_system/repl/wrappers.js";\n'


async def run_query(served, source, *, key=None, **extra):
    body = {
        "adminKey": served.admin_key if key is None else key,
        "bundle": {"path": "testQuery.js", "source": source},
        "args": {},
        "format": "convex_encoded_json",
        **extra,
    }
    return await served.client.post("/api/run_test_function", json=body)


async def query_value(served, handler_body):
    answered = await run_query(
        served,
        PREAMBLE + f"export default query({{ handler: async (ctx) => {{ {handler_body} }} }});",
    )
    assert answered.status_code == 200, answered.text
    return answered.json()


async def send(served, author, body="hi"):
    answered = await served.client.post(
        "/api/mutation",
        json={"path": "messages:send", "args": {"author": author, "body": body}},
    )
    assert answered.json()["status"] == "success", answered.text
    return answered.json()["value"]


async def test_a_test_query_reads_the_latest_data_and_logs(served):
    first = await send(served, "ada")
    await send(served, "bob")
    result = await query_value(
        served,
        'console.log("reading");'
        ' const all = await ctx.db.query("messages").order("desc").collect();'
        " const one = await ctx.db.get(all[1]._id);"
        ' const bob = await ctx.db.query("messages")'
        '   .filter(q => q.eq(q.field("author"), "bob")).unique();'
        " return { authors: all.map(m => m.author), first: one._id, bob: bob.author, big: 5n,"
        " bytes: new Uint8Array([1, 2]).buffer, nan: NaN };",
    )
    assert result["status"] == "success", result
    value = result["value"]
    assert value["authors"] == ["bob", "ada"]
    assert value["first"] == first
    assert value["bob"] == "bob"
    assert value["big"] == {"$integer": "BQAAAAAAAAA="}
    assert value["bytes"] == {"$bytes": "AQI="}
    assert value["nan"] == {"$float": "AAAAAAAA+H8="}
    assert result["logLines"] == ["[LOG] 'reading'"]


async def test_an_internal_query_exported_by_name_runs(served):
    await send(served, "cy")
    module = PREAMBLE + (
        "const count = internalQuery(\n"
        "  async (ctx) => (await ctx.db.query('messages').take(10)).length);\n"
        "export { count as default };"
    )
    answered = await run_query(served, module)
    assert answered.json() == {"status": "success", "value": 1}


async def test_the_run_is_logged_as_tester(served):
    await query_value(served, 'console.log("logged"); return 1;')
    logs = await served.client.get("/api/stream_function_logs?cursor=0", headers=served.admin)
    entries = [e for e in logs.json()["entries"] if e.get("caller") == "Tester"]
    assert [(e["udfType"], e["identifier"]) for e in entries] == [("Query", "testQuery")]


async def test_a_test_query_cannot_write(served):
    result = await query_value(
        served,
        'const value = { author: "x", body: "y" };'
        ' await Convex.asyncSyscall("1.0/insert", JSON.stringify({ table: "messages", value }));',
    )
    assert result["status"] == "error", result
    messages = await served.client.post("/api/query", json={"path": "messages:list", "args": {}})
    assert messages.json()["value"] == []


async def test_module_errors_are_function_errors(served):
    cases = {
        "syntax": PREAMBLE + "export default query({ handler: async (ctx) => { return ) } });",
        "import": 'import { query } from "convex/server";\nexport default query(() => 1);',
        "no default": PREAMBLE + "export const q = query(() => 1);",
        "not a query": PREAMBLE + "export default 42;",
        "throws": PREAMBLE + 'export default query(() => { throw new Error("nope"); });',
    }
    for name, source in cases.items():
        answered = await run_query(served, source)
        assert answered.status_code == 200, (name, answered.text)
        body = answered.json()
        assert body["status"] == "error", (name, body)
        assert "Server Error" in body["errorMessage"], (name, body)
    body = (await run_query(served, cases["import"])).json()
    assert "convex/server" in body["errorMessage"]
    body = (await run_query(served, cases["throws"])).json()
    assert "Uncaught Error: nope" in body["errorMessage"]


async def test_the_admin_key_comes_from_the_body(served):
    source = PREAMBLE + "export default query(() => 1);"
    assert (await run_query(served, source, key="nope")).status_code == 401
    answered = await served.client.post(
        "/api/run_test_function",
        json={"bundle": {"path": "testQuery.js", "source": source}, "args": {}},
        headers=served.admin,
    )
    assert answered.status_code == 401
    backend = served.backend
    read_only = issue_admin_key(backend.instance_name, backend.instance_secret, read_only=True)
    assert (await run_query(served, source, key=read_only)).json()["value"] == 1


async def test_a_runaway_query_times_out_without_holding_other_requests(served):
    spin = PREAMBLE + "export default query(() => { for (;;) {} });"
    runaway = asyncio.create_task(run_query(served, spin))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    listed = await served.client.post("/api/query", json={"path": "messages:list", "args": {}})
    assert listed.status_code == 200
    assert time.monotonic() - started < 0.5
    body = (await runaway).json()
    assert body["status"] == "error"
    assert "timed out" in body["errorMessage"]


async def test_an_unknown_component_is_refused(served):
    source = PREAMBLE + "export default query(() => 1);"
    body = (await run_query(served, source, componentId="nope")).json()
    assert body["status"] == "error"
    assert "nope" in body["errorMessage"]


async def test_shapes_describe_each_user_table(served):
    assert (await served.client.get("/api/shapes2")).status_code == 401
    unknown = await served.client.get("/api/shapes2?component=nope", headers=served.admin)
    assert unknown.status_code == 400 and unknown.json()["code"] == "InvalidComponentId"
    await send(served, "ada")
    answered = await served.client.get("/api/shapes2", headers=served.admin)
    assert answered.status_code == 200
    shapes = answered.json()
    assert list(shapes) == ["messages"]
    fields = {f["fieldName"]: f for f in shapes["messages"]["fields"]}
    assert fields["_id"]["shape"] == {"type": "Id", "tableName": "messages"}
    assert fields["author"] == {
        "fieldName": "author",
        "optional": False,
        "shape": {"type": "String"},
    }
    assert fields["_creationTime"]["shape"]["type"] == "Float64"


async def delete(served, names, headers=None, **extra):
    return await served.client.post(
        "/api/delete_tables",
        json={"tableNames": names, "componentId": None, **extra},
        headers=served.admin if headers is None else headers,
    )


async def test_deleting_tables_removes_them_and_records_the_event(served):
    await send(served, "ada")
    answered = await delete(served, ["messages", "missing"])
    assert (answered.status_code, answered.content) == (200, b"")
    assert (await served.client.get("/api/shapes2", headers=served.admin)).json() == {}
    listed = await served.client.post("/api/query", json={"path": "messages:list", "args": {}})
    assert listed.json()["value"] == []
    tx = served.backend.engine.db.begin(read_only=True)
    [event] = tx.rows("_deployment_audit_log")
    assert (event["action"], event["metadata"]) == (
        "delete_tables",
        {"component_id": None, "component": None, "table_names": ["messages", "missing"]},
    )
    await send(served, "again")
    assert (
        await served.client.post("/api/query", json={"path": "messages:list", "args": {}})
    ).json()["value"][0]["author"] == "again"


async def test_refused_deletions_change_nothing(served):
    await send(served, "ada")
    backend = served.backend
    read_only = issue_admin_key(backend.instance_name, backend.instance_secret, read_only=True)
    refusals = [
        (["_scheduled_functions"], None, 400),
        (["messages", "bad name"], None, 400),
        (["messages"], {"Authorization": f"Convex {read_only}"}, 403),
        (["messages"], {}, 401),
    ]
    for names, headers, status in refusals:
        answered = await delete(served, names, headers)
        assert answered.status_code == status, (names, answered.text)
        assert set(answered.json()) == {"code", "message"}
    assert (await delete(served, "messages")).status_code == 400
    assert (await delete(served, ["messages"], componentId="nope")).status_code == 400
    listed = await served.client.post("/api/query", json={"path": "messages:list", "args": {}})
    assert len(listed.json()["value"]) == 1


async def test_deleting_the_root_or_an_unknown_component_is_refused(served):
    for body in ({"componentId": None}, {"componentId": "nope"}):
        answered = await served.client.post(
            "/api/delete_component", json=body, headers=served.admin
        )
        assert answered.status_code == 400, answered.text
        assert set(answered.json()) == {"code", "message"}


async def test_tables_the_schema_declares_are_not_deleted():
    schema = define_schema({"kept": define_table({"n": v.float64()})})
    async with Backend(App(schema=schema)) as backend:
        await backend.engine.dispatch.transaction(lambda tx: tx.insert("kept", {"n": 1.0}))
        with pytest.raises(ConvexBackendError) as refused:
            await backend.delete_tables(["kept"], None)
        assert refused.value.code == "TableInSchema"
        assert list(backend.engine.db.begin(read_only=True).rows("kept"))
