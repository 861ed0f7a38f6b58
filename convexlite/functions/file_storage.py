"""Stored files as recorded (spec/platform.md §4.1, §4.2), read and written in a transaction.

`_storage` is the document functions and the dashboard read (`ctx.db.system`), in
upstream's virtual shape `{sha256 (base64), size, contentType}`, with the table number
upstream's `_file_storage` has, so storage ids look the same. The private
`_file_storage` row beside it holds what users never see: the file's legacy UUID
(its URL) and the key of its blob in the blob store. `_upload_tokens` remembers the
upload tokens used within their hour, so each is accepted once.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

from convexlite.database.intervals import Interval
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
SYSTEM_TABLES: dict[str, dict[str, list[str]]] = {
    STORAGE: {},
    FILE_STORAGE: {
        BY_STORAGE_ID: ["storageId"],
        BY_FILE_ID: ["fileId"],
        BY_STORAGE_KEY: ["storageKey"],
    },
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
    tx: Transaction, key: str, sha256: bytes, size: int, content_type: str | None
) -> StoredFile:
    """Record a finished blob as a file; returns it with its new ids."""
    file_id = tx.insert(
        STORAGE,
        {
            "sha256": base64.b64encode(sha256).decode(),
            "size": float(size),
            "contentType": content_type,
        },
    )
    storage_uuid = str(uuid.uuid4())
    record_id = tx.insert(
        FILE_STORAGE, {"fileId": file_id, "storageId": storage_uuid, "storageKey": key}
    )
    return StoredFile(file_id, storage_uuid, key, sha256, size, content_type, record_id)


def find(tx: Transaction, storage_id: Any) -> StoredFile | None:
    """The file a storage id names: an `Id<"_storage">` or a legacy UUID (§4.1); None if
    it does not exist. Anything else raises `InvalidStorageId`."""
    if not isinstance(storage_id, str):
        raise InvalidStorageId(f"Invalid storage ID: {storage_id!r}")
    try:
        number, _ = decode_id(storage_id)
    except InvalidIdError:
        number = None
    if number is not None:
        table = tx.table(STORAGE)
        if table is None or number != table.number:
            raise InvalidStorageId(
                f"Invalid storage ID: {storage_id!r} is an ID of another table, not of _storage"
            )
        return _joined(tx, _private(tx, BY_FILE_ID, storage_id))
    try:
        canonical = str(uuid.UUID(storage_id))
    except ValueError:
        raise InvalidStorageId(f"Invalid storage ID: {storage_id!r}") from None
    return _joined(tx, _private(tx, BY_STORAGE_ID, canonical))


def holds_key(tx: Transaction, key: str) -> bool:
    """Whether some file's record still points at the blob `key`."""
    return _private(tx, BY_STORAGE_KEY, key) is not None


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


def _private(tx: Transaction, descriptor: str, value: str) -> dict[str, Any] | None:
    return _row(tx, FILE_STORAGE, descriptor, value)


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
