"""The dashboard's Data page system functions (`_system/frontend/*`), called as the dashboard
calls them over HTTP with an admin key: browsing with filters, sizes, the table mapping, the
schema, the edits with their audit events; refused for non-admins and bad arguments."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from convexlite import App, Backend, define_schema, define_table, v
from convexlite.auth.identity import trusted
from convexlite.auth.keys import issue_admin_key
from convexlite.functions.system import component_scope
from convexlite.functions.system.component_ids import InvalidComponentId
from convexlite.functions.system.frontend_filters import UNDEFINED_PLACEHOLDER
from convexlite.server.app import create_app
from convexlite.server.state import ServerState

schema = define_schema(
    {
        "notes": define_table(
            {"author": v.string(), "body": v.string(), "stars": v.optional(v.float64())}
        )
        .index("by_author", ["author"])
        .search_index("search_body", search_field="body", filter_fields=["author"]),
    }
)
app = App(schema=schema)


@app.query(name="notes:count", args={})
def count_notes(ctx, args):
    return len(ctx.db.query("notes").collect())


class Dashboard:
    """Calls `_system/frontend/<name>` as the dashboard does, with the admin key."""

    def __init__(self, backend: Backend, client: httpx.AsyncClient) -> None:
        self.backend = backend
        self.client = client
        self.key = issue_admin_key(backend.instance_name, backend.instance_secret)

    async def call(
        self, kind: str, name: str, args: dict[str, Any], *, admin: bool = True
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Convex {self.key}"} if admin else {}
        answer = await self.client.post(
            f"/api/{kind}",
            json={"path": f"_system/frontend/{name}", "args": args, "format": "json"},
            headers=headers,
        )
        body: dict[str, Any] = answer.json()
        return body

    async def value(self, kind: str, name: str, args: dict[str, Any]) -> Any:
        body = await self.call(kind, name, args)
        assert body["status"] == "success", body
        return body["value"]

    async def query(self, name: str, **args: Any) -> Any:
        return await self.value("query", name, args)

    async def mutation(self, name: str, **args: Any) -> Any:
        return await self.value("mutation", name, args)

    async def page(self, filters: dict[str, Any] | None, n: float = 25) -> Any:
        return await self.query(
            "paginatedTableDocuments:default",
            table="notes",
            filters=encoded(filters) if filters is not None else None,
            paginationOpts={"numItems": n, "cursor": None, "id": 1},
            componentId=None,
        )

    async def size(self, table: str = "notes") -> Any:
        return await self.query("tableSize:default", tableName=table, componentId=None)

    def audit_events(self) -> list[dict[str, Any]]:
        tx = self.backend.engine.db.begin(read_only=True)
        return [
            {"action": row["action"], **row["metadata"]} for row in tx.rows("_deployment_audit_log")
        ]


@pytest.fixture
async def dashboard() -> AsyncIterator[Dashboard]:
    async with Backend(app) as backend:
        transport = httpx.ASGITransport(app=create_app(ServerState(backend)))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Dashboard(backend, client)


def encoded(expression: dict[str, Any]) -> str:
    """The `filters` argument as the dashboard builds it (js-base64 URL-safe, unpadded)."""
    return base64.urlsafe_b64encode(json.dumps(expression).encode()).decode().rstrip("=")


def clause(field: str, op: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"id": field + op, "field": field, "op": op, "value": value, "enabled": True, **extra}


NOTES = [("ada", "one"), ("bob", "two"), ("ada", "three"), ("cy", "four")]


async def seed(dashboard: Dashboard) -> list[dict[str, Any]]:
    added = await dashboard.mutation(
        "addDocument:default",
        table="notes",
        documents=[{"author": a, "body": b} for a, b in NOTES],
        componentId=None,
    )
    assert added == {"success": True}
    return list(reversed((await dashboard.page(None))["page"]))


async def test_browsing_with_the_dashboards_filters(dashboard: Dashboard) -> None:
    notes = await seed(dashboard)
    assert [n["body"] for n in notes] == ["one", "two", "three", "four"]
    newest = await dashboard.page(None, n=2)
    assert [n["body"] for n in newest["page"]] == ["four", "three"] and not newest["isDone"]
    by_ada = await dashboard.page({"clauses": [clause("author", "eq", "ada")]})
    assert [n["body"] for n in by_ada["page"]] == ["three", "one"]
    oldest = await dashboard.page({"clauses": [clause("author", "neq", "ada")], "order": "asc"})
    assert [n["body"] for n in oldest["page"]] == ["two", "four"]
    some = await dashboard.page({"clauses": [clause("author", "anyOf", ["bob", "cy"])]})
    assert [n["body"] for n in some["page"]] == ["four", "two"]
    disabled = await dashboard.page({"clauses": [clause("author", "eq", "zed", enabled=False)]})
    assert len(disabled["page"]) == 4
    # type filters apply to the page read: the rows without `stars`, then with a number
    await dashboard.mutation(
        "patchDocumentsFields:default", table="notes", fields={"stars": 5}, ids=[notes[1]["_id"]]
    )
    unset = await dashboard.page({"clauses": [clause("stars", "type", "unset")]})
    assert len(unset["page"]) == 3
    numbers = await dashboard.page({"clauses": [clause("stars", "type", "number")]})
    assert [n["body"] for n in numbers["page"]] == ["two"]
    one = await dashboard.page({"clauses": [clause("_id", "eq", notes[2]["_id"])]})
    assert one == {"page": [notes[2]], "isDone": True, "continueCursor": ""}
    bad = await dashboard.page({"clauses": [clause("author", "eq", {"$bad": 1})]})
    assert bad["page"] == [{"filter": 0, "error": 'Invalid value: {"$bad":1}.'}]


async def test_index_filters(dashboard: Dashboard) -> None:
    notes = await seed(dashboard)
    eq = {"type": "indexEq", "enabled": True, "value": "ada"}
    by_author = await dashboard.page(
        {"clauses": [], "index": {"name": "by_author", "clauses": [eq]}}
    )
    assert [n["body"] for n in by_author["page"]] == ["three", "one"]
    since = notes[1]["_creationTime"]
    created = {"type": "indexRange", "enabled": True, "lowerOp": "gt", "lowerValue": since}
    newer = await dashboard.page(
        {"clauses": [], "order": "asc", "index": {"name": "by_creation_time", "clauses": [created]}}
    )
    assert [n["body"] for n in newer["page"]] == ["three", "four"]
    missing = await dashboard.page({"clauses": [], "index": {"name": "nope", "clauses": []}})
    assert missing["page"] == [{"filter": -1, "error": "Index nope does not exist."}]
    too_many = {"name": "by_creation_time", "clauses": [eq, eq]}
    wrong = await dashboard.page({"clauses": [], "index": too_many})
    assert wrong["page"] == [
        {"filter": -1, "error": "Index by_creation_time has 1 fields, but the query has 2 clauses."}
    ]


async def test_search_index_filters_are_checked(dashboard: Dashboard) -> None:
    await seed(dashboard)

    async def error(index: dict[str, Any], order: str = "desc") -> Any:
        return (await dashboard.page({"clauses": [], "order": order, "index": index}))["page"]

    search = {"name": "search_body", "search": "one", "clauses": []}
    assert await error(search) == [
        {"filter": -1, "error": "Trying to query search index `search_body` in descending order."}
    ]
    on_body = {**search, "clauses": [{"field": "body", "enabled": True, "value": "x"}]}
    assert await error(on_body, "asc") == [
        {
            "filter": 0,
            "error": "Invalid index filter selection: found a filter for field `body` which is "
            "not part of the filter fields of the search index `search_body`.",
        }
    ]
    assert await error({**search, "name": "by_author"}, "asc") == [
        {
            "filter": -1,
            "error": "Index by_author is not a search index, but the query is trying to use it "
            "as search index.",
        }
    ]
    assert await error({"name": "search_body", "clauses": []}) == [
        {
            "filter": -1,
            "error": "Index search_body is a search index, but the query is trying to use it as "
            "a database index.",
        }
    ]


async def test_searching_with_the_dashboards_search_filter(dashboard: Dashboard) -> None:
    await seed(dashboard)

    async def found(search: str, clauses: list[dict[str, Any]]) -> list[str]:
        index = {"name": "search_body", "search": search, "clauses": clauses}
        page = await dashboard.page({"clauses": [], "order": "asc", "index": index})
        return [n["body"] for n in page["page"]]

    assert await found("t", []) == ["three", "two"]  # a prefix; equal scores, newest first
    by_ada = [{"field": "author", "enabled": True, "value": "ada"}]
    assert await found("one three", by_ada) == ["three", "one"]
    assert await found("two", by_ada) == []


async def test_tables_schema_indexes_and_reads_by_id(dashboard: Dashboard) -> None:
    notes = await seed(dashboard)
    assert await dashboard.size() == 4
    assert await dashboard.size("") == 0
    assert await dashboard.query("tableSize:sizeOfAllTables") == 4
    mapping = await dashboard.query("getTableMapping:default", componentId=None)
    assert {"notes", "_file_storage", "_scheduled_jobs"} <= set(mapping.values())
    assert not any(name.startswith("_") and name not in ("_file_storage", "_scheduled_jobs")
                   for name in mapping.values())  # fmt: skip
    schemas = await dashboard.query("getSchemas:default", componentId=None)
    assert set(schemas) == {"active"}
    [table] = json.loads(schemas["active"])["tables"]
    assert table["tableName"] == "notes"
    assert table["indexes"] == [{"indexDescriptor": "by_author", "fields": ["author"]}]
    assert await dashboard.query("getSchemas:schemaValidationProgress", componentId=None) is None
    indexes = await dashboard.query("indexes:default", tableName="notes", tableNamespace=None)
    assert indexes == [
        {"name": "by_author", "staged": False, "fields": ["author"], "backfill": {"state": "done"}},
        {"name": "search_body", "staged": False, "backfill": {"state": "done"},
         "fields": {"searchField": "body", "filterFields": ["author"]}},
    ]  # fmt: skip
    assert await dashboard.query("indexes:default", tableName="nope", tableNamespace=None) is None
    number = next(n for n, name in mapping.items() if name == "notes")
    assert number.isdigit()
    found = await dashboard.query(
        "listById:default",
        ids=[
            {"id": notes[0]["_id"], "tableName": "notes"},
            {"id": "nonsense", "tableName": "notes"},
        ],
    )
    assert found == [notes[0], None]
    assert await dashboard.query("getById:default", id=notes[3]["_id"]) == notes[3]
    scanned = await dashboard.query("listTableScan:default", table="notes", limit=2)
    assert [n["body"] for n in scanned] == ["four", "three"]


async def test_edits_write_audit_events_and_bad_ones_change_nothing(dashboard: Dashboard) -> None:
    notes = await seed(dashboard)
    refused = await dashboard.call(
        "mutation",
        "addDocument:default",
        {"table": "notes", "documents": [{"author": "x", "body": "y"}, {"author": "no body"}]},
    )
    assert refused["status"] == "error" and "body" in refused["errorData"], refused
    assert await dashboard.size() == 4
    ids = [n["_id"] for n in notes]
    await dashboard.mutation(
        "patchDocumentsFields:default", table="notes", fields={"stars": 3}, ids=ids[:2]
    )
    await dashboard.mutation(
        "patchDocumentsFields:default",
        table="notes",
        fields={"stars": UNDEFINED_PLACEHOLDER},
        ids=[ids[0]],
    )
    everyone = await dashboard.mutation(
        "patchDocumentsFields:default", table="notes", fields={"body": "same"}
    )
    assert everyone == {"success": True}
    current = {n["_id"]: n for n in (await dashboard.page(None))["page"]}
    assert "stars" not in current[ids[0]] and current[ids[1]]["stars"] == 3
    assert {n["body"] for n in current.values()} == {"same"}
    replaced = await dashboard.mutation(
        "replaceDocument:default", id=ids[2], document={"author": "eve", "body": "new"}
    )
    assert replaced == {"success": True}
    schema_refuses = await dashboard.call(
        "mutation", "replaceDocument:default", {"id": ids[2], "document": {"author": 1}}
    )
    assert schema_refuses["status"] == "error" and isinstance(schema_refuses["errorData"], str)
    deleted = await dashboard.mutation(
        "deleteDocuments:default", toDelete=[{"id": ids[3], "tableName": "notes"}]
    )
    assert deleted == {"success": True}
    gone = await dashboard.mutation(
        "replaceDocument:default", id=ids[3], document={"author": "a", "body": "b"}
    )
    assert gone == {"success": False, "error": "Document does not exist."}
    too_many = await dashboard.mutation(
        "deleteDocuments:default", toDelete=[{"id": ids[0], "tableName": "notes"}] * 4097
    )
    assert too_many["success"] is False and too_many["error"].startswith(
        "You can't delete more than 4096."
    )
    huge = await dashboard.mutation("addDocument:default", table="notes", documents=[{}] * 4097)
    assert huge == {"success": False, "error": "Can’t import more than 4096 documents at once."}
    cleared = await dashboard.mutation("clearTablePage:default", tableName="notes", cursor=None)
    assert cleared["deleted"] == 3 and cleared["hasMore"] is False
    assert await dashboard.size() == 0
    assert await dashboard.mutation("createTable:default", table="fresh") is None
    assert "fresh" in (await dashboard.query("getTableMapping:default")).values()
    assert await dashboard.size("fresh") == 0
    events = dashboard.audit_events()
    root = {"component_id": None, "component": None}
    assert events == [
        {"action": "add_documents", **root, "table": "notes", "document_ids": ids},
        {"action": "update_documents", **root, "table": "notes", "document_ids": ids[:2]},
        {"action": "update_documents", **root, "table": "notes", "document_ids": ids[:1]},
        {"action": "update_documents", **root, "table": "notes", "document_ids": ids},
        {"action": "update_documents", **root, "table": "notes", "document_ids": [ids[2]]},
        {"action": "delete_documents", **root, "table": "notes", "document_ids": [ids[3]]},
        {"action": "delete_documents", **root, "table": "notes", "document_ids": ids[:3]},
        {"action": "create_table", **root, "table": "fresh"},
    ]


async def test_only_admins_with_valid_arguments(dashboard: Dashboard) -> None:
    anonymous = await dashboard.call(
        "query", "tableSize:default", {"tableName": "notes"}, admin=False
    )
    assert anonymous["status"] == "error"
    assert "Could not find public function" in anonymous["errorMessage"]
    missing = await dashboard.call("query", "tableSize:default", {})
    assert missing["status"] == "error" and "tableName" in missing["errorMessage"]
    extra = await dashboard.call("query", "tableSize:default", {"tableName": "notes", "x": 1})
    assert extra["status"] == "error" and "x" in extra["errorMessage"]
    unknown = await dashboard.call(
        "query", "tableSize:default", {"tableName": "notes", "componentId": "nope"}
    )
    assert unknown["status"] == "error" and "nope" in unknown["errorMessage"]
    garbled = await dashboard.call(
        "query",
        "paginatedTableDocuments:default",
        {"table": "notes", "filters": "%%%", "paginationOpts": {"numItems": 5, "cursor": None}},
    )
    assert garbled["status"] == "error" and "Invalid filters" in garbled["errorMessage"]


async def test_table_size_past_the_read_budget_stays_live(dashboard: Dashboard) -> None:
    """33,000 documents: more than a transaction may read (32,000), counted anyway; a
    subscription to the size follows each write."""
    batch = [{"author": "bulk", "body": str(n)} for n in range(4096)]
    for _ in range(8):
        await dashboard.mutation("addDocument:default", table="notes", documents=batch)
    await dashboard.mutation("addDocument:default", table="notes", documents=batch[:232])
    assert await dashboard.size() == 33_000
    cli = await dashboard.client.post(
        "/api/query",
        json={"path": "_system/cli/tableSize", "args": {"tableName": "notes"}, "format": "json"},
        headers={"Authorization": f"Convex {dashboard.key}"},
    )
    assert cli.json()["value"] == 33_000
    args = {"tableName": "notes", "componentId": None}
    async with dashboard.backend.subscribe(
        "_system/frontend/tableSize:default", args, caller=trusted()
    ) as sizes:
        assert (await anext(sizes)).unwrap() == 33_000
        await dashboard.mutation("addDocument:default", table="notes", documents=batch[:2])
        assert (await asyncio.wait_for(anext(sizes), 10)).unwrap() == 33_002
        await dashboard.mutation("clearTablePage:default", tableName="notes", cursor=None)
        assert (await asyncio.wait_for(anext(sizes), 10)).unwrap() == 29_002


@pytest.fixture
def components(monkeypatch: pytest.MonkeyPatch, dashboard: Dashboard) -> Dashboard:
    """A component instance `tally` with a `counts` table, known by the id `tally-id` (the
    app by `root-id`): the ids `components:list` gives are resolved elsewhere."""
    paths = {"tally-id": "tally", "root-id": ""}

    def component_path(env: Any, component_id: str | None) -> str:
        if component_id not in paths:
            raise InvalidComponentId(f"Component {component_id!r} not found")
        return paths[component_id]

    monkeypatch.setattr(component_scope, "component_path", component_path)
    db = dashboard.backend.engine.db
    tx = db.begin()
    for label in ("a", "b", "c"):
        tx.insert("tally/counts", {"label": label})
    db.commit(tx)
    return dashboard


async def test_component_id_runs_the_function_in_that_component(components: Dashboard) -> None:
    dashboard = components
    await seed(dashboard)
    tally = {"componentId": "tally-id"}
    assert await dashboard.query("tableSize:default", tableName="counts", **tally) == 3
    assert await dashboard.query("tableSize:default", tableName="notes", **tally) == 0
    assert await dashboard.query("tableSize:default", tableName="notes", componentId="root-id") == 4
    mapping = await dashboard.query("getTableMapping:default", **tally)
    assert "counts" in mapping.values() and "notes" not in mapping.values()
    labels = await dashboard.query(
        "paginatedTableDocuments:default",
        table="counts",
        filters=None,
        paginationOpts={"numItems": 10, "cursor": None},
        **tally,
    )
    assert [d["label"] for d in labels["page"]] == ["c", "b", "a"]
    added = await dashboard.mutation(
        "addDocument:default", table="counts", documents=[{"label": "d"}], **tally
    )
    assert added == {"success": True}
    assert await dashboard.query("tableSize:default", tableName="counts", **tally) == 4
    assert dashboard.audit_events()[-1] == {
        "action": "add_documents",
        "component_id": "tally-id",
        "component": "tally",
        "table": "counts",
        "document_ids": [
            (await dashboard.query("listTableScan:default", table="counts", limit=1, **tally))[0][
                "_id"
            ]
        ],
    }
    refused = await dashboard.call(
        "query", "tableSize:default", {"tableName": "counts", "componentId": "other"}
    )
    assert refused["status"] == "error" and "other" in refused["errorMessage"]


@pytest.mark.parametrize(
    ("prefix", "in_tally"),
    [("", {"componentId": "tally-id"}), ("tally|", {})],
    ids=["componentId", "componentPath"],
)
async def test_a_live_page_in_a_component_keeps_its_bounds(
    components: Dashboard, prefix: str, in_tally: dict[str, str]
) -> None:
    """The page's end is journaled in the component too (named by a `componentId`, or by
    the path an admin's `componentPath` gives): a document added inside the first page
    joins it instead of pushing its last row to the next page."""
    dashboard = components
    args = {
        "table": "counts",
        "filters": None,
        "paginationOpts": {"numItems": 2, "cursor": None},
        **in_tally,
    }
    async with dashboard.backend.subscribe(
        f"{prefix}_system/frontend/paginatedTableDocuments:default", args, caller=trusted()
    ) as pages:
        first = (await anext(pages)).unwrap()
        assert [d["label"] for d in first["page"]] == ["c", "b"]
        await dashboard.mutation(
            "addDocument:default",
            table="counts",
            documents=[{"label": "d"}],
            componentId="tally-id",
        )
        again = (await asyncio.wait_for(anext(pages), 10)).unwrap()
        assert [d["label"] for d in again["page"]] == ["d", "c", "b"]


async def test_a_python_apps_functions_for_the_functions_page(dashboard: Dashboard) -> None:
    [[root, modules]] = await dashboard.query("modules:listForAllComponents")
    assert root is None
    assert modules == [
        [
            "notes.js",
            {
                "functions": [
                    {"name": "count", "udfType": "Query", "visibility": {"kind": "public"}}
                ],
                "sourcePackageId": "",
            },
        ]
    ]
    validator = await dashboard.query("modules:argsValidator", function="notes:count")
    assert json.loads(validator) == {"type": "object", "value": {}}
    assert await dashboard.query("modules:argsValidator", function="notes:nothing") is None
    assert await dashboard.query("getVersion:default") is None, "nothing was pushed"
    assert (await dashboard.query("convexCloudUrl:default")).startswith("http")


async def test_a_page_of_a_deleted_table_is_empty_not_an_invalid_cursor(
    dashboard: Dashboard,
) -> None:
    """The Data page's live pages keep their cursors and journal; once their table is deleted
    those were for a query that is gone, and each page turns empty and done rather than
    failing with InvalidCursor."""
    documents = [{"n": float(n)} for n in range(3)]
    await dashboard.mutation("addDocument:default", table="drafts", documents=documents)

    def args(cursor: str | None) -> dict[str, Any]:
        options = {"numItems": 2, "cursor": cursor}
        return {"table": "drafts", "filters": None, "paginationOpts": options, "componentId": None}

    path = "_system/frontend/paginatedTableDocuments:default"
    async with dashboard.backend.subscribe(path, args(None), caller=trusted()) as first:
        page = (await anext(first)).unwrap()
        assert len(page["page"]) == 2 and not page["isDone"]
        async with dashboard.backend.subscribe(
            path, args(page["continueCursor"]), caller=trusted()
        ) as second:
            assert len((await anext(second)).unwrap()["page"]) == 1
            await dashboard.backend.delete_tables(["drafts"], None)
            for pages in (first, second):
                after = (await asyncio.wait_for(anext(pages), 10)).unwrap()
                assert after["page"] == [] and after["isDone"]
