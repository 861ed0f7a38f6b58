"""Stored files as recorded (spec/platform.md §4.1, §4.2), read and written in a transaction.

`_storage` is the document functions and the dashboard read (`ctx.db.system`), in
upstream's virtual shape `{sha256 (base64), size, contentType}`, with the table number
upstream's `_file_storage` has, so storage ids look the same. The private
`_file_storage` row beside it holds what users never see: the file's legacy UUID
(its URL) and the key of its blob in the blob store. `_upload_tokens` remembers the
upload tokens used within their hour, so each is accepted once.

Each component instance has its own `_storage` and `_file_storage`
(`tally/_storage`, `database.namespace`): a component's files are its own, and an id
of another namespace's file names no file here (as upstream, where both tables share
one number, it is simply not found). A URL's UUID and a blob key are unique across
namespaces, so the download endpoint and the blob collector look in all of them.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

from convexlite.database.intervals import Interval
from convexlite.database.namespace import ROOT, TableNamespace, all_copies
from convexlite.database.transaction import Transaction
from convexlite.errors import BadRequestError
from convexlite.values import Int64, InvalidIdError, decode_id, sort_key

STORAGE = "_storage"
FILE_STORAGE = "_file_storage"
UPLOAD_TOKENS = "_upload_tokens"
BY_STORAGE_ID = "by_storage_id"
BY_FILE_ID = "by_file_id"
BY_STORAGE_KEY = "by_storage_key"
BY_NONCE = "by_nonce"
NAMESPACE_TABLES: dict[str, dict[str, list[str]]] = {
    STORAGE: {},
    FILE_STORAGE: {
        BY_STORAGE_ID: ["storageId"],
        BY_FILE_ID: ["fileId"],
        BY_STORAGE_KEY: ["storageKey"],
    },
}
"""The tables every namespace has a copy of."""
SYSTEM_TABLES: dict[str, dict[str, list[str]]] = {
    **NAMESPACE_TABLES,
    UPLOAD_TOKENS: {BY_NONCE: ["nonce"]},
}


class InvalidStorageId(BadRequestError):
    code = "InvalidStorageId"


class StorageIdNotFound(BadRequestError):
    code = "StorageIdNotFound"


class StorageTokenUsed(BadRequestError):
    code = "StorageTokenUsed"
    status = 401


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file's record: its `_storage` id, legacy UUID, blob key and contents' facts."""

    id: str
    uuid: str
    key: str
    sha256: bytes
    size: int
    content_type: str | None
    record_id: str

    def metadata(self) -> dict[str, Any]:
        """`getMetadata`'s answer (deprecated upstream; its digest is hex, unlike `_storage`)."""
        return {
            "storageId": self.uuid,
            "sha256": self.sha256.hex(),
            "size": float(self.size),
            "contentType": self.content_type,
        }


def insert(
    tx: Transaction,
    key: str,
    sha256: bytes,
    size: int,
    content_type: str | None,
    namespace: TableNamespace = ROOT,
) -> StoredFile:
    """Record a finished blob as a file of `namespace`; returns it with its new ids."""
    file_id = tx.insert(
        namespace.engine_name(STORAGE),
        {
            "sha256": base64.b64encode(sha256).decode(),
            "size": float(size),
            "contentType": content_type,
        },
    )
    storage_uuid = str(uuid.uuid4())
    record = {"fileId": file_id, "storageId": storage_uuid, "storageKey": key}
    record_id = tx.insert(namespace.engine_name(FILE_STORAGE), record)
    return StoredFile(file_id, storage_uuid, key, sha256, size, content_type, record_id)


def find(tx: Transaction, storage_id: Any, namespace: TableNamespace = ROOT) -> StoredFile | None:
    """The file of `namespace` a storage id names: an `Id<"_storage">` or a legacy UUID
    (§4.1); None if it does not exist (or is another namespace's). Anything else raises
    `InvalidStorageId`."""
    if not isinstance(storage_id, str):
        raise InvalidStorageId(f"Invalid storage ID: {storage_id!r}")
    try:
        number, _ = decode_id(storage_id)
    except InvalidIdError:
        number = None
    if number is not None:
        table = tx.table(namespace.engine_name(STORAGE))
        if table is None or number != table.number:
            other = tx.table_by_number(number)
            if other is not None and other.local_name == STORAGE:
                return None
            raise InvalidStorageId(
                f"Invalid storage ID: {storage_id!r} is an ID of another table, not of _storage"
            )
        return _joined(tx, _private(tx, namespace, BY_FILE_ID, storage_id))
    try:
        canonical = str(uuid.UUID(storage_id))
    except ValueError:
        raise InvalidStorageId(f"Invalid storage ID: {storage_id!r}") from None
    return _joined(tx, _private(tx, namespace, BY_STORAGE_ID, canonical))


def find_by_uuid(tx: Transaction, storage_uuid: str) -> StoredFile | None:
    """The file of any namespace whose URL carries `storage_uuid` (the download endpoint)."""
    for name in all_copies(tx.registry.tables_by_name, FILE_STORAGE):
        found = _joined(tx, _row(tx, name, BY_STORAGE_ID, storage_uuid))
        if found is not None:
            return found
    return None


def holds_key(tx: Transaction, key: str) -> bool:
    """Whether some file's record, in any namespace, still points at the blob `key`."""
    return any(
        _row(tx, name, BY_STORAGE_KEY, key) is not None
        for name in all_copies(tx.registry.tables_by_name, FILE_STORAGE)
    )


def remove(tx: Transaction, file: StoredFile) -> None:
    tx.delete(file.id)
    tx.delete(file.record_id)


def check_token_unused(tx: Transaction, nonce: str) -> None:
    """Raise `StorageTokenUsed` if an upload token's nonce was spent."""
    if _row(tx, UPLOAD_TOKENS, BY_NONCE, nonce) is not None:
        raise StorageTokenUsed("This upload URL was already used: generate a new one")


def use_token(tx: Transaction, nonce: str, expires_ns: int) -> None:
    """Spend an upload token's nonce; a second use raises `StorageTokenUsed`."""
    check_token_unused(tx, nonce)
    tx.insert(UPLOAD_TOKENS, {"nonce": nonce, "expiresTs": Int64(expires_ns)})


def forget_expired_tokens(tx: Transaction, now_ns: int, limit: int) -> int:
    """Delete up to `limit` spent tokens past their hour; returns how many."""
    deleted = 0
    for row in tx.rows(UPLOAD_TOKENS, prefetch=limit):
        if int(row["expiresTs"]) > now_ns:
            break
        tx.delete(row["_id"])
        deleted += 1
        if deleted == limit:
            break
    return deleted


def _private(
    tx: Transaction, namespace: TableNamespace, descriptor: str, value: str
) -> dict[str, Any] | None:
    return _row(tx, namespace.engine_name(FILE_STORAGE), descriptor, value)


def _row(tx: Transaction, table_name: str, descriptor: str, value: str) -> dict[str, Any] | None:
    return next(tx.rows(table_name, descriptor, Interval.prefix(sort_key(value)), prefetch=1), None)


def _joined(tx: Transaction, record: dict[str, Any] | None) -> StoredFile | None:
    if record is None:
        return None
    public = tx.get(record["fileId"])
    if public is None:
        return None
    return StoredFile(
        public["_id"],
        record["storageId"],
        record["storageKey"],
        base64.b64decode(public["sha256"]),
        int(public["size"]),
        public["contentType"],
        record["_id"],
    )
