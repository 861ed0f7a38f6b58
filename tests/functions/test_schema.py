import json

import pytest

from convexlite.errors import BadRequestError
from convexlite.functions.schema import (
    Schema,
    SchemaDefinitionError,
    SchemaEnforcementError,
    TableInSchemaError,
    define_schema,
    define_table,
)
from convexlite.functions.validators import v

MESSAGES_ID = "j57000820c20a1g7104gm2rc1m70ynr8"  # table 10001
TABLES = {10001: "messages", 10002: "users"}


def chat_schema(**options):
    return define_schema(
        {
            "messages": define_table(
                {
                    "author": v.string(),
                    "body": v.string(),
                    "meta": v.optional(v.object({"tag": v.string()})),
                }
            )
            .index("by_author", ["author"])
            .index("by_author_tag", ["author", "meta.tag"]),
            "users": define_table(v.object({"name": v.string()})),
        },
        **options,
    )


def definition_error(build):
    with pytest.raises(SchemaDefinitionError) as info:
        build()
    assert isinstance(info.value, BadRequestError)
    return info.value.code, info.value.message


# --- index rules at definition time ---------------------------------------------------------


def table():
    return define_table({"a": v.string(), "b": v.object({"c": v.string(), "_d": v.string()})})


def test_index_fields_contain_id():
    assert definition_error(lambda: table().index("by_x", ["a", "_id"])) == (
        "IndexFieldsContainId",
        'In index "by_x": `_id` is not a valid index field. To load documents by ID, use '
        "`db.get(id)`.",
    )


def test_index_fields_contain_creation_time():
    assert definition_error(lambda: table().index("by_x", ["a", "_creationTime"])) == (
        "IndexFieldsContainCreationTime",
        "`_creationTime` is automatically added to the end of each index. It should not be "
        "added explicitly in the index definition. See https://docs.convex.dev/using/indexes "
        "for more details.",
    )


@pytest.mark.parametrize("field", ["_other", "b._d"])
def test_index_field_name_reserved(field):
    assert definition_error(lambda: table().index("by_x", [field])) == (
        "IndexFieldNameReserved",
        "Reserved fields (starting with `_`) are not allowed in indexes.",
    )


def test_duplicate_index_fields():
    assert definition_error(lambda: table().index("by_x", ["a", "b.c", "a"])) == (
        "FieldsNotUniqueWithinIndex",
        'In index "by_x": Duplicate field "a". Index fields must be unique within an index.',
    )
    # Surrounding dots are trimmed, so these are the same path.
    assert definition_error(lambda: table().index("by_x", ["b.c", ".b.c."]))[0] == (
        "FieldsNotUniqueWithinIndex"
    )


def test_at_most_fifteen_user_fields():
    fields = [f"f{i}" for i in range(15)]
    assert define_table({}).index("by_many", fields).indexes[0].fields == tuple(fields)
    assert definition_error(lambda: define_table({}).index("by_x", [*fields, "f15"])) == (
        "IndexTooManyFields",
        "Indexes may have up to 16 fields.",
    )
    assert definition_error(
        lambda: define_table({}).index("by_x", [f"f{i}" for i in range(17)])
    ) == ("IndexTooManyFields", 'In index "by_x": Indexes may have up to 16 fields.')


@pytest.mark.parametrize("name", ["by-author", "1st", "", "___", "x" * 65])
def test_index_names_must_be_identifiers(name):
    assert definition_error(lambda: table().index(name, ["a"])) == (
        "InvalidIndexName",
        f'Invalid index name: "{name}". Identifiers must be 64 characters or less, start with '
        "a letter, and only contain letters, digits, underscores.",
    )


@pytest.mark.parametrize("field", ["a..b", "a-b", "", "."])
def test_index_fields_must_be_field_paths(field):
    assert definition_error(lambda: table().index("by_x", [field])) == (
        "InvalidIndexField",
        f'In index "by_x": Invalid index field: "{field}"',
    )


def test_index_fields_must_be_a_list():
    assert definition_error(lambda: table().index("by_a", "a"))[0] == "InvalidIndexField"


@pytest.mark.parametrize("name", ["by_id", "by_creation_time", "_mine"])
def test_reserved_index_names(name):
    assert definition_error(lambda: define_schema({"t": table().index(name, ["a"])})) == (
        "IndexNameReserved",
        f'In table "t" cannot name an index "{name}" because the name is reserved. Indexes '
        'may not start with an underscore or be named "by_id" or "by_creation_time".',
    )


def test_duplicate_index_names():
    build = lambda: define_schema(  # noqa: E731
        {"t": table().index("by_a", ["a"]).index("by_a", ["b.c"])}
    )
    assert definition_error(build) == (
        "IndexNamesNotUnique",
        'Table "t" has two or more definitions of index "by_a".',
    )


def test_identical_index_fields():
    build = lambda: define_schema(  # noqa: E731
        {"t": table().index("by_one", ["a", "b.c"]).index("by_two", ["a", "b.c"])}
    )
    assert definition_error(build) == (
        "IndexNotUnique",
        'In table "t" index "by_two" and index "by_one" have the same fields. Indexes must be '
        "unique within a table.",
    )


def test_empty_index():
    assert definition_error(lambda: define_schema({"t": table().index("by_none", [])})) == (
        "EmptyIndex",
        'In table "t" index "by_none" must have at least one field.',
    )


def test_too_many_indexes():
    t = define_table({})
    for i in range(65):
        t.index(f"by_{i}", [f"f{i}"])
    assert definition_error(lambda: define_schema({"t": t}, schema_validation=False)) == (
        "TooManyIndexes",
        'Table "t" cannot have more than 64 indexes.',
    )


def test_table_names():
    assert definition_error(lambda: define_schema({"_secret": define_table({})})) == (
        "TableNameReserved",
        "_secret is a reserved table name.",
    )
    assert definition_error(lambda: define_schema({"my-table": define_table({})})) == (
        "InvalidTableName",
        'Invalid table name: "my-table". Identifiers must start with a letter and can only '
        "contain letters, digits, and underscores.",
    )


def test_index_must_reference_existing_fields_when_validated():
    build = lambda: define_schema({"t": table().index("by_z", ["z"])})  # noqa: E731
    assert definition_error(build) == (
        "SchemaDefinitionError",
        'In table "t" the index "by_z" is invalid because it references the field "z" that '
        "does not exist.",
    )
    define_schema({"t": table().index("by_z", ["z"])}, schema_validation=False)
    define_schema({"t": define_table(v.any()).index("by_z", ["z"])})


def test_document_type_must_be_object_union_of_objects_or_any():
    code, message = definition_error(lambda: define_table(v.string()))
    assert code == "InvalidTopLevelTypeInSchemaError"
    assert message == (
        "The document validator in a schema must be an object, a union of objects, or "
        "`v.any()`. Found v.string(). To learn more, see the schema documentation at "
        "https://docs.convex.dev/database/schemas."
    )
    define_table(v.union(v.object({"a": v.string()}), v.object({"b": v.string()})))
    define_table(v.any())


def test_system_fields_in_a_table_definition_are_dropped():
    t = define_table({"_id": v.id("t"), "_creationTime": v.number(), "a": v.string()})
    assert t.validator == v.object({"a": v.string()})


# --- structure and JSON ---------------------------------------------------------------------


def test_index_fields_and_tables():
    schema = chat_schema()
    assert list(schema.tables) == ["messages", "users"]
    assert schema.index_fields("messages") == {
        "by_author": ["author"],
        "by_author_tag": ["author", "meta.tag"],
    }
    assert schema.index_fields("users") == {}
    assert schema.index_fields("nope") == {}


def test_staged_indexes():
    t = table().index("by_a", ["a"]).index("by_c", {"fields": ["b.c"], "staged": True})
    schema = define_schema({"t": t})
    assert schema.index_fields("t") == {"by_a": ["a"]}
    assert schema.index_fields("t", include_staged=True) == {"by_a": ["a"], "by_c": ["b.c"]}
    assert schema.to_json()["tables"][0]["stagedDbIndexes"] == [
        {"indexDescriptor": "by_c", "fields": ["b.c"]}
    ]


def test_to_json():
    schema = define_schema(
        {
            "messages": define_table(
                {"author": v.string(), "body": v.string(), "emb": v.array(v.number())}
            )
            .index("by_author", ["author"])
            .search_index("search_body", search_field="body", filter_fields=["author"])
            .vector_index("by_emb", vector_field="emb", dimensions=3, filter_fields=["author"])
        }
    )
    assert schema.to_json() == {
        "tables": [
            {
                "tableName": "messages",
                "indexes": [{"indexDescriptor": "by_author", "fields": ["author"]}],
                "stagedDbIndexes": [],
                "searchIndexes": [
                    {
                        "indexDescriptor": "search_body",
                        "searchField": "body",
                        "filterFields": ["author"],
                    }
                ],
                "stagedSearchIndexes": [],
                "vectorIndexes": [
                    {
                        "indexDescriptor": "by_emb",
                        "vectorField": "emb",
                        "dimensions": 3,
                        "filterFields": ["author"],
                    }
                ],
                "stagedVectorIndexes": [],
                "documentType": {
                    "type": "object",
                    "value": {
                        "author": {"fieldType": {"type": "string"}, "optional": False},
                        "body": {"fieldType": {"type": "string"}, "optional": False},
                        "emb": {
                            "fieldType": {"type": "array", "value": {"type": "number"}},
                            "optional": False,
                        },
                    },
                },
            }
        ],
        "schemaValidation": True,
    }
    assert json.loads(schema.export()) == schema.to_json()


def test_json_round_trip():
    schema = chat_schema(schema_validation=False)
    again = Schema.from_json(schema.export())
    assert again.to_json() == schema.to_json()
    assert again.schema_validation is False
    assert again.tables["messages"].validator == schema.tables["messages"].validator


def test_from_json_defaults():
    schema = Schema.from_json({"tables": [{"tableName": "t", "indexes": []}]})
    assert schema.schema_validation is False
    assert schema.tables["t"].validator == v.any()


def test_from_json_wraps_index_errors_like_upstream():
    raw = {
        "tables": [
            {
                "tableName": "messages",
                "indexes": [{"indexDescriptor": "by_x", "fields": ["_id"]}],
                "documentType": {"type": "any"},
            }
        ],
        "schemaValidation": True,
    }
    assert definition_error(lambda: Schema.from_json(raw)) == (
        "IndexFieldsContainId",
        'In table "messages": In index "by_x": `_id` is not a valid index field. To load '
        "documents by ID, use `db.get(id)`.",
    )
    raw["tables"][0]["indexes"][0]["fields"] = ["_creationTime"]
    assert definition_error(lambda: Schema.from_json(raw))[1].startswith("`_creationTime` is")


# --- document enforcement -------------------------------------------------------------------


def test_validate_document_accepts_matching_documents_with_system_fields():
    schema = chat_schema()
    schema.validate_document(
        "messages",
        {"_id": MESSAGES_ID, "_creationTime": 1.7e12, "author": "ada", "body": "hi"},
        table_name_of=TABLES.get,
    )
    schema.validate_document("messages", {"author": "ada", "body": "hi", "meta": {"tag": "x"}})


def test_validate_document_ignores_every_top_level_underscore_field():
    # Upstream strips all `_` fields before checking; the database layer rejects the others.
    chat_schema().validate_document("users", {"_id": MESSAGES_ID, "_other": 1, "name": "ada"})


def test_validate_document_failure_message():
    schema = chat_schema()
    with pytest.raises(SchemaEnforcementError) as info:
        schema.validate_document("messages", {"_id": MESSAGES_ID, "author": "ada", "body": 5})
    error = info.value
    assert error.code == "SchemaEnforcementError"
    assert error.table_name == "messages"
    assert error.message == (
        'Failed to insert or update a document in table "messages" because it does not match '
        "the schema: Value does not match validator.\n"
        "Path: .body\n"
        "Value: 5.0\n"
        "Validator: v.string()"
    )


def test_validate_document_extra_field():
    with pytest.raises(SchemaEnforcementError) as info:
        chat_schema().validate_document("users", {"name": "ada", "age": 3})
    assert info.value.detail == (
        "Object contains extra field `age` that is not in the validator.\n\n"
        'Object: {age: 3.0, name: "ada"}\n'
        "Validator: v.object({name: v.string()})"
    )


def test_validate_existing_document_names_its_id():
    with pytest.raises(SchemaEnforcementError) as info:
        chat_schema().validate_document("users", {"_id": MESSAGES_ID, "nom": "x"}, existing=True)
    assert info.value.message.startswith(
        f'Document with ID "{MESSAGES_ID}" in table "users" does not match the schema: '
        "Object is missing the required field `name`."
    )


def test_union_documents():
    schema = define_schema(
        {
            "shapes": define_table(
                v.union(
                    v.object({"kind": v.literal("circle"), "r": v.number()}),
                    v.object({"kind": v.literal("square"), "side": v.number()}),
                )
            )
        }
    )
    schema.validate_document("shapes", {"kind": "square", "side": 2})
    with pytest.raises(SchemaEnforcementError) as info:
        schema.validate_document("shapes", {"kind": "square", "r": 2})
    assert info.value.detail == (
        "Value does not match validator.\n\n"
        'Value: {kind: "square", r: 2.0}\n'
        'Validator: v.union(v.object({kind: v.literal("circle"), r: v.float64()}), '
        'v.object({kind: v.literal("square"), side: v.float64()}))'
    )


def test_unenforced_documents():
    chat_schema().validate_document("not_in_schema", {"anything": 1})
    chat_schema(schema_validation=False).validate_document("users", {"anything": 1})
    define_schema({"t": define_table(v.any())}).validate_document("t", {"x": 1})


def test_ids_in_documents_are_checked_against_the_resolver():
    schema = define_schema({"posts": define_table({"author": v.id("users")})})
    with pytest.raises(SchemaEnforcementError) as info:
        schema.validate_document("posts", {"author": MESSAGES_ID}, table_name_of=TABLES.get)
    assert "from table `messages`" in info.value.detail


def test_check_delete_table():
    schema = define_schema(
        {"posts": define_table({"author": v.optional(v.array(v.id("people")))})},
    )
    with pytest.raises(TableInSchemaError) as info:
        schema.check_delete_table("posts")
    assert info.value.message == 'Failed to delete table "posts" because it appears in the schema'
    with pytest.raises(TableInSchemaError) as info:
        schema.check_delete_table("people")
    assert info.value.message == (
        'Failed to delete table "people" because `v.id("people")` appears in the schema of '
        'table "posts"'
    )
    schema.check_delete_table("others")
