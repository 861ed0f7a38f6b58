"""The dashboard's Files page (spec/operator.md §2.7, §3.1): `_system/frontend/fileStorageV2:*`.

Files are the `_storage` documents of the namespace the function runs in, each shown
with its download URL (`storage.getUrl`). The list pages through `_storage` in
creation order between optional inclusive date bounds, newest first by default. The
mutations go through `env.storage`, as `ctx.storage` does, and record their audit
event (`delete_files`, `generate_upload_url`) in the same transaction.
"""

from __future__ import annotations

import json
from typing import Any

from convexlite.functions.definitions import FunctionDefinition
from convexlite.functions.environment import Environment
from convexlite.functions.file_storage import STORAGE
from convexlite.functions.system import audit_log
from convexlite.functions.system.component_scope import audit_metadata
from convexlite.functions.system.defining import (
    COMPONENT_ID,
    PAGINATION,
    by_creation_time,
    mutation,
    page,
    query,
)
from convexlite.functions.validators import ValidationError, v

MODULE = "_system/frontend/fileStorageV2"
FILTERS = v.object(
    {
        "minCreationTime": v.optional(v.number()),
        "maxCreationTime": v.optional(v.number()),
        "order": v.optional(v.union(v.literal("asc"), v.literal("desc"))),
    }
)


def _with_url(env: Environment, document: dict[str, Any]) -> dict[str, Any]:
    """A `_storage` document as the Files page lists it: with its `url`."""
    return {**document, "url": env.storage.get_url(document["_id"])}


def _num_files(env: Environment, args: Any) -> float:
    assert env.db is not None
    return float(env.db.count(STORAGE))


def _file_metadata(env: Environment, args: Any) -> dict[str, Any]:
    filters = args.get("filters") or {}
    source = by_creation_time(
        STORAGE,
        filters.get("order") or "desc",
        filters.get("minCreationTime"),
        filters.get("maxCreationTime"),
    )
    result = page(env, source, args["paginationOpts"])
    result["page"] = [_with_url(env, document) for document in result["page"]]
    return result


def _get_file(env: Environment, args: Any) -> dict[str, Any] | None:
    """The file a deep link (`?id=`) names; null for an unknown or malformed id."""
    assert env.db is not None
    file_id = env.db.normalize_id(STORAGE, args["storageId"])
    document = None if file_id is None else env.db.get(file_id, system=True)
    return None if document is None else _with_url(env, document)


def _delete(env: Environment, args: Any, storage_ids: list[str]) -> None:
    """Delete every file (all or none: a missing one fails the mutation) and record it."""
    assert env.db is not None
    for storage_id in storage_ids:
        env.storage.delete(storage_id)
    audit_log.record(env.db.tx, "delete_files", {**audit_metadata(env), "storage_ids": storage_ids})


def _storage_id(env: Environment, storage_id: str, path: str) -> str:
    """`storage_id` if it is an `Id<"_storage">` of the namespace in effect. Checked here, not
    by `v.id("_storage")`: arguments are validated in the app's namespace, before a
    `componentId` switches to a component's, whose `_storage` ids the app's refuse."""
    assert env.db is not None
    if env.db.normalize_id(STORAGE, storage_id) is None:
        detail = f"Value does not match validator.\nPath: {path}\nValue: {json.dumps(storage_id)}"
        raise ValidationError(f'{detail}\nValidator: v.id("_storage")', "ArgumentValidationError")
    return storage_id


def _delete_files(env: Environment, args: Any) -> None:
    ids = args["storageIds"]
    _delete(env, args, [_storage_id(env, id_, f".storageIds[{i}]") for i, id_ in enumerate(ids)])


def _delete_file(env: Environment, args: Any) -> None:
    _delete(env, args, [_storage_id(env, args["storageId"], ".storageId")])


def _generate_upload_url(env: Environment, args: Any) -> str:
    """An upload URL a browser can `POST` a file to (platform.md §4.3)."""
    assert env.db is not None
    url: str = env.storage.generate_upload_url()
    audit_log.record(env.db.tx, "generate_upload_url", audit_metadata(env))
    return url


def definitions() -> list[FunctionDefinition]:
    return [
        query(f"{MODULE}:numFiles", _num_files, {"componentId": COMPONENT_ID}),
        query(
            f"{MODULE}:fileMetadata",
            _file_metadata,
            {
                "paginationOpts": PAGINATION,
                "filters": v.optional(FILTERS),
                "componentId": COMPONENT_ID,
            },
        ),
        query(
            f"{MODULE}:getFile",
            _get_file,
            {"storageId": v.string(), "componentId": COMPONENT_ID},
        ),
        mutation(
            f"{MODULE}:deleteFiles",
            _delete_files,
            {"storageIds": v.array(v.string()), "componentId": COMPONENT_ID},
        ),
        mutation(
            f"{MODULE}:deleteFile",
            _delete_file,
            {"storageId": v.string(), "componentId": COMPONENT_ID},
        ),
        mutation(
            f"{MODULE}:generateUploadUrl", _generate_upload_url, {"componentId": COMPONENT_ID}
        ),
    ]
