"""The schemas of an app and its component instances enforced as one `DocumentSchema`."""

from __future__ import annotations

import pytest

from convexlite.functions.component_schemas import ComponentSchemas, schema_from_json
from convexlite.functions.schema import Schema, SchemaEnforcementError, define_table
from convexlite.functions.validators import v
from convexlite.values import encode_id

TO_COUNTS = {"fieldType": {"type": "id", "tableName": "counts"}, "optional": False}
LINK = {"tableName": "links", "indexes": [{"indexDescriptor": "by_to", "fields": ["to"]}],
        "documentType": {"type": "object", "value": {"to": TO_COUNTS}}}  # fmt: skip


def schemas() -> ComponentSchemas:
    app = Schema({"counts": define_table({"label": v.string()})})
    tally = Schema.from_json({"tables": [LINK], "schemaValidation": True})
    return ComponentSchemas({"": app, "tally": tally})


def test_tables_and_indexes_by_registry_name() -> None:
    composite = schemas()
    assert set(composite.tables) == {"counts", "tally/links"}
    assert composite.index_fields("tally/links") == {"by_to": ["to"]}
    assert composite.index_fields("other/links") == {}


def test_each_namespace_validates_with_its_own_schema_and_names() -> None:
    composite = schemas()
    names = {10001: "counts", 10002: "tally/counts"}.get
    composite.validate_document("counts", {"label": "x"})
    with pytest.raises(SchemaEnforcementError, match='table "links"') as caught:
        composite.validate_document("tally/links", {"to": 3}, table_name_of=names)
    assert caught.value.component_path == "tally"
    # `v.id("counts")` in the component means the component's `counts`
    own, apps = encode_id(10002, bytes(16)), encode_id(10001, bytes(16))
    composite.validate_document("tally/links", {"to": own}, table_name_of=names)
    with pytest.raises(SchemaEnforcementError):
        composite.validate_document("tally/links", {"to": apps}, table_name_of=names)


def test_json_round_trip() -> None:
    exported = schemas().to_json()
    assert exported["components"]["tally"]["tables"][0]["tableName"] == "links"
    assert isinstance(schema_from_json(exported), ComponentSchemas)
    assert isinstance(schema_from_json({"tables": [], "schemaValidation": True}), Schema)
