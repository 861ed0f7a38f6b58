"""`ctx.storage`: the file storage syscalls (spec/platform.md §4.5), for every language.

Queries and mutations reach files through their own transaction
(`TransactionStorage`): `getUrl` and `getMetadata` record a read of the file's
row, `delete` removes it with the transaction (its blob goes once the deletion
is durable). Actions (`ActionStorage`) do the same in small transactions of
their own, and alone may `store` and `get` bytes, which stream through the blob
store outside any transaction. Both see the files of their function's namespace (a
component instance's own, `functions/file_storage.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from convexlite.database.namespace import ROOT, TableNamespace
from convexlite.database.transaction import Transaction
from convexlite.errors import BadRequestError
from convexlite.functions import file_storage
from convexlite.functions.file_storage import StorageIdNotFound, StoredFile
from convexlite.functions.files import FileStorage

T = TypeVar("T")
Transact = Callable[[Callable[[Transaction], T]], Awaitable[T]]


class TransactionStorage:
    """The storage syscalls of one query or mutation."""

    def __init__(
        self,
        files: FileStorage,
        tx: Transaction,
        *,
        writable: bool,
        namespace: TableNamespace = ROOT,
    ) -> None:
        self._files = files
        self._tx = tx
        self._writable = writable
        self._namespace = namespace

    def within(self, namespace: TableNamespace) -> TransactionStorage:
        """These syscalls on `namespace`'s files, in the same transaction (a system function
        called with a `componentId`)."""
        return TransactionStorage(
            self._files, self._tx, writable=self._writable, namespace=namespace
        )

    def get_url(self, storage_id: Any) -> str | None:
        """`1.0/storageGetUrl`."""
        found = file_storage.find(self._tx, storage_id, self._namespace)
        return None if found is None else self._files.url(found)

    def get_metadata(self, storage_id: Any) -> dict[str, Any] | None:
        """`1.0/storageGetMetadata` (deprecated upstream)."""
        found = file_storage.find(self._tx, storage_id, self._namespace)
        return None if found is None else found.metadata()

    def generate_upload_url(self) -> str:
        """`1.0/storageGenerateUploadUrl`."""
        self._check_writable("storage.generateUploadUrl")
        return self._files.upload_url(self._namespace)

    def delete(self, storage_id: Any) -> None:
        """`1.0/storageDelete`."""
        self._check_writable("storage.delete")
        self._files.delete(self._tx, _existing(self._tx, storage_id, self._namespace))

    def _check_writable(self, method: str) -> None:
        if not self._writable:
            raise BadRequestError(f"{method} can't be called from a query: queries are read-only")


class ActionStorage:
    """The storage syscalls of one action: each call is its own transaction."""

    def __init__(
        self, files: FileStorage, transact: Transact[Any], namespace: TableNamespace = ROOT
    ) -> None:
        self._files = files
        self._transact = transact
        self._namespace = namespace

    def _find(self, tx: Transaction, storage_id: Any) -> StoredFile | None:
        return file_storage.find(tx, storage_id, self._namespace)

    async def get_url(self, storage_id: Any) -> str | None:
        found = await self._transact(lambda tx: self._find(tx, storage_id))
        return None if found is None else self._files.url(found)

    async def get_metadata(self, storage_id: Any) -> dict[str, Any] | None:
        found = await self._transact(lambda tx: self._find(tx, storage_id))
        return None if found is None else found.metadata()

    async def generate_upload_url(self) -> str:
        return self._files.upload_url(self._namespace)

    async def delete(self, storage_id: Any) -> None:
        await self._transact(
            lambda tx: self._files.delete(tx, _existing(tx, storage_id, self._namespace))
        )

    async def store(
        self, data: bytes, content_type: str | None, sha256: bytes | None = None
    ) -> str:
        """`storage.store(blob)`: the new file's `Id<"_storage">`."""
        stored = await self._files.store(
            data, content_type, sha256, self._transact, self._namespace
        )
        return stored.id

    async def get(self, storage_id: Any) -> tuple[bytes, str | None] | None:
        """`storage.get(id)`: the file's bytes and content type, or None."""
        found = await self._transact(lambda tx: self._find(tx, storage_id))
        if found is None:
            return None
        return await self._files.read_all(found), found.content_type


def _existing(tx: Transaction, storage_id: Any, namespace: TableNamespace) -> StoredFile:
    found = file_storage.find(tx, storage_id, namespace)
    if found is None:
        raise StorageIdNotFound(f"storage id {storage_id} not found")
    return found
