"""Opening a store with a new schema checks the documents already in it."""

from __future__ import annotations

import pytest

from convexlite import App, SyncBackend, define_schema, define_table, v
from convexlite.functions.schema import SchemaEnforcementError


def make_app(schema):
    app = App(schema=schema)

    @app.mutation(name="t:add", args={"doc": v.any()})
    def add(ctx, args):
        return ctx.db.insert("items", args["doc"])

    @app.query(name="t:all")
    def all_items(ctx, args):
        return ctx.db.query("items").collect()

    return app


loose = define_schema({"items": define_table({"n": v.any()})})
strict = define_schema({"items": define_table({"n": v.number()}).index("by_n", ["n"])})


def test_new_schema_that_existing_documents_break_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    with SyncBackend(make_app(loose), url) as backend:
        bad = backend.mutation("t:add", {"doc": {"n": "text"}})
    with pytest.raises(SchemaEnforcementError) as err:
        SyncBackend(make_app(strict), url)
    assert f'Document with ID "{bad}" in table "items" does not match the schema' in str(err.value)
    with SyncBackend(make_app(loose), url) as backend:
        assert [d["n"] for d in backend.query("t:all")] == ["text"]


def test_matching_documents_pass_and_new_indexes_are_usable(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    with SyncBackend(make_app(loose), url) as backend:
        for n in (3.0, 1.0, 2.0):
            backend.mutation("t:add", {"doc": {"n": n}})
    app = make_app(strict)

    @app.query(name="t:sorted")
    def by_n(ctx, args):
        return [d["n"] for d in ctx.db.query("items").with_index("by_n").collect()]

    with SyncBackend(app, url) as backend:
        assert backend.query("t:sorted") == [1.0, 2.0, 3.0]
    with SyncBackend(app, url) as backend:
        assert backend.query("t:sorted") == [1.0, 2.0, 3.0]


def test_unchanged_schema_does_not_rescan_documents(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 's.db'}"
    with SyncBackend(make_app(strict), url) as backend:
        backend.mutation("t:add", {"doc": {"n": 1.0}})
    checked = []
    original = type(strict).validate_document

    def counting(self, table, doc, **kwargs):
        checked.append(kwargs.get("existing"))
        return original(self, table, doc, **kwargs)

    monkeypatch.setattr(type(strict), "validate_document", counting)
    with SyncBackend(make_app(strict), url):
        pass
    assert True not in checked
