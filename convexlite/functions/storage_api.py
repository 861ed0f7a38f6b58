"""`ctx.storage` for Python functions: Convex's storage API in snake_case, over the
storage syscalls (`functions/storage_syscalls.py`) JavaScript reaches too."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, BinaryIO

from convexlite.functions.environment import Environment, blocking_or_awaitable


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """A stored file's bytes as `ctx.storage.get` returns them (JavaScript gets a `Blob`)."""

    data: bytes
    content_type: str | None


class StorageReader:
    """`ctx.storage` in a query: URLs and metadata of stored files."""

    def __init__(self, env: Environment) -> None:
        self._storage = env.storage

    def get_url(self, storage_id: str) -> Any:
        """The file's URL (`Id<"_storage">` or legacy UUID), None if it does not exist."""
        return self._storage.get_url(storage_id)

    def get_metadata(self, storage_id: str) -> Any:
        """`{storageId, sha256 (hex), size, contentType}` or None; deprecated upstream in
        favour of `ctx.db.system.get(id)`."""
        return self._storage.get_metadata(storage_id)


class StorageWriter(StorageReader):
    """`ctx.storage` in a mutation: also upload URLs and deletion (with the transaction)."""

    def generate_upload_url(self) -> Any:
        """A URL a client may `POST` one file to within the hour."""
        return self._storage.generate_upload_url()

    def delete(self, storage_id: str) -> Any:
        return self._storage.delete(storage_id)


class ActionStorage(StorageWriter):
    """`ctx.storage` in an action: each call commits on its own; `store` and `get` move
    bytes. In an `async` action `await` the calls; in a plain one they block."""

    def __init__(self, env: Environment) -> None:
        super().__init__(env)
        self._loop = env.loop

    def get_url(self, storage_id: str) -> Any:
        return blocking_or_awaitable(super().get_url(storage_id), self._loop)

    def get_metadata(self, storage_id: str) -> Any:
        return blocking_or_awaitable(super().get_metadata(storage_id), self._loop)

    def generate_upload_url(self) -> Any:
        return blocking_or_awaitable(super().generate_upload_url(), self._loop)

    def delete(self, storage_id: str) -> Any:
        return blocking_or_awaitable(super().delete(storage_id), self._loop)

    def store(
        self,
        data: bytes | BinaryIO,
        content_type: str | None = None,
        sha256: bytes | str | None = None,
    ) -> Any:
        """Store `data` (bytes, or a binary file read to its end) as a new file; its
        `Id<"_storage">`. `sha256` (raw or standard base64) is checked against the bytes."""
        raw = data if isinstance(data, bytes | bytearray) else data.read()
        digest = base64.b64decode(sha256) if isinstance(sha256, str) else sha256
        stored = self._storage.store(bytes(raw), content_type, digest)
        return blocking_or_awaitable(stored, self._loop)

    def get(self, storage_id: str) -> Any:
        """The file's `StoredBlob`, None if it does not exist."""

        async def fetch() -> StoredBlob | None:
            found = await self._storage.get(storage_id)
            return None if found is None else StoredBlob(*found)

        return blocking_or_awaitable(fetch(), self._loop)
