"""The cached inverted index answers every search as of the search's own snapshot."""

from __future__ import annotations

import pytest

from convexlite import App, SyncBackend, define_schema, define_table, v
from convexlite.database.database import Database
from convexlite.errors import ConvexBackendError
from convexlite.persistence import open_persistence
from convexlite.query.query_json import Query, Search, SearchFilter, parse_query
from convexlite.query.stream import QueryStream

schema = define_schema(
    {"notes": define_table({"body": v.string()}).search_index("search_body", search_field="body")}
)


@pytest.fixture
def db():
    with SyncBackend(App(schema), "memory:") as backend:
        yield backend.engine.db


def found(tx, text: str) -> list[str]:
    query = Query(Search("notes.search_body", [SearchFilter("Search", "body", text)]))
    return [d["body"] for d in QueryStream(tx, query)]


def write(db, change) -> str:
    tx = db.begin()
    result = change(tx)
    db.commit(tx)
    return result


def test_writes_after_the_index_was_built_are_caught_up(db):
    first = write(db, lambda tx: tx.insert("notes", {"body": "red apple"}))
    assert found(db.begin(read_only=True), "apple") == ["red apple"]
    write(db, lambda tx: tx.insert("notes", {"body": "green apple"}))
    write(db, lambda tx: tx.patch(first, {"body": "red cherry"}))
    assert found(db.begin(read_only=True), "apple") == ["green apple"]
    assert found(db.begin(read_only=True), "cherry") == ["red cherry"]
    write(db, lambda tx: tx.delete(first))
    assert found(db.begin(read_only=True), "cherry") == []


def test_an_older_snapshot_does_not_see_newer_writes(db):
    write(db, lambda tx: tx.insert("notes", {"body": "one apple"}))
    old = db.begin(read_only=True)
    write(db, lambda tx: tx.insert("notes", {"body": "two apples apple"}))
    assert found(db.begin(read_only=True), "apple") == ["two apples apple", "one apple"]
    assert found(old, "apple") == ["one apple"]
    assert found(db.begin(read_only=True), "appl") == ["two apples apple", "one apple"]


def test_a_transaction_sees_its_own_writes_and_nobody_else_does(db):
    write(db, lambda tx: tx.insert("notes", {"body": "apple pie"}))
    tx = db.begin()
    tx.insert("notes", {"body": "apple tart"})
    assert sorted(found(tx, "apple")) == ["apple pie", "apple tart"]
    assert found(db.begin(read_only=True), "apple") == ["apple pie"]


@pytest.mark.parametrize(
    ("filters", "code"),
    [
        ([{"type": "Eq", "fieldPath": "body", "value": "x"}], "IncorrectFilterFieldError"),
        ([], "MissingSearchFilterError"),
        (
            [{"type": "Search", "fieldPath": "body", "value": "x"}] * 2,
            "DuplicateSearchFiltersError",
        ),
    ],
)
def test_search_sources_as_javascript_sends_them_are_checked(db, filters, code):
    source = {"type": "Search", "indexName": "notes.search_body", "filters": filters}
    with pytest.raises(ConvexBackendError) as err:
        list(
            QueryStream(db.begin(read_only=True), parse_query({"source": source, "operators": []}))
        )
    assert err.value.code == code


def test_a_schema_without_the_index_drops_it(db):
    write(db, lambda tx: tx.insert("notes", {"body": "apple"}))
    assert found(db.begin(read_only=True), "apple") == ["apple"]
    db.apply_schema(define_schema({"notes": define_table({"body": v.string()})}))
    with pytest.raises(ConvexBackendError, match="Index notes.search_body not found"):
        found(db.begin(read_only=True), "apple")


def test_search_on_every_backend_and_after_reopening(store):
    url, instance_name = store
    persistence = open_persistence(url, instance_name, require_ssl=False)
    try:
        db = Database(persistence, schema=schema)
        write(db, lambda tx: tx.insert("notes", {"body": "stored apple"}))
        assert found(db.begin(read_only=True), "apple") == ["stored apple"]
        write(db, lambda tx: tx.insert("notes", {"body": "apple two"}))
        reopened = Database(persistence, schema=schema)
        assert found(reopened.begin(read_only=True), "appl") == ["apple two", "stored apple"]
    finally:
        persistence.close()
