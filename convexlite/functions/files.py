"""`FileStorage`: the deployment's files, their bytes in a blob store and their records in
the database (spec/platform.md §4).

Bytes never travel inside a transaction: an upload or `storage.store` streams into
the blob store first and records the file in a short transaction afterwards, so a
slow upload holds nothing open; a record deleted by a transaction marks its blob,
which goes once the deletion is published (durable), never if the transaction
failed. A blob no record points at (an upload cut off by a crash between its bytes
and its record, a deletion the process did not live to finish) is an orphan, swept
when the deployment opens.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from convexlite.auth.upload_tokens import (
    UPLOAD_TOKEN_LIFETIME_S,
    check_upload_token,
    issue_upload_token,
)
from convexlite.database.database import Database
from convexlite.database.namespace import ROOT, TableNamespace
from convexlite.database.store import Clock
from convexlite.database.transaction import Transaction
from convexlite.errors import BadRequestError
from convexlite.files import BlobStore
from convexlite.functions import file_storage
from convexlite.functions.file_storage import StoredFile

log = logging.getLogger("convexlite.files")

T = TypeVar("T")
Transact = Callable[[Callable[[Transaction], T]], Awaitable[T]]
WRITE_CHUNK = 1 << 20
READ_CHUNK = 1 << 20
DOOMED_PATIENCE_S = 60.0
"""How long a blob whose record's deletion is not yet published waits before the
deletion is taken for failed (the record stays, and so does the blob)."""
_MIME_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+(\s*;.*)?$")


class Sha256Mismatch(BadRequestError):
    code = "Sha256Mismatch"


class InvalidContentTypeHeader(BadRequestError):
    code = "InvalidContentTypeHeader"


def parse_digest(header: str | None) -> bytes | None:
    """The SHA-256 of a `Digest: sha-256=<base64>` header (None without one)."""
    if header is None:
        return None
    for part in header.split(","):
        algorithm, _, value = part.strip().partition("=")
        if algorithm.lower() == "sha-256":
            return parse_sha256(value)
    return None


def parse_sha256(value: str) -> bytes:
    """A SHA-256 given in standard base64 (the `Digest` header, `store`'s `sha256`)."""
    try:
        digest = base64.b64decode(value, validate=True)
    except ValueError:
        digest = b""
    if len(digest) != 32:
        raise Sha256Mismatch(f"Invalid SHA-256 digest {value!r}: expected 32 bytes in base64")
    return digest


def check_content_type(content_type: str | None) -> str | None:
    """A stored file's content type: none for an empty one, else a MIME type."""
    if not content_type:
        return None
    if not _MIME_TYPE.match(content_type):
        raise InvalidContentTypeHeader(f"Invalid content type {content_type!r}")
    return content_type


class FileStorage:
    """Files of one deployment: URLs, uploads, downloads and the deletion of their bytes."""

    def __init__(
        self,
        blobs: BlobStore,
        origin: str,
        instance_name: str,
        instance_secret: str,
        clock: Clock,
    ) -> None:
        self.blobs = blobs
        self._origin = origin.rstrip("/")
        self._instance_name = instance_name
        self._instance_secret = instance_secret
        self._clock = clock
        self._in_flight: set[str] = set()
        self._doomed: dict[str, float] = {}
        self._lock = threading.Lock()

    # ---- URLs -----------------------------------------------------------------------------

    def url(self, file: StoredFile) -> str:
        return f"{self._origin}/api/storage/{file.uuid}"

    def upload_url(self, namespace: TableNamespace = ROOT) -> str:
        """An upload URL whose file becomes one of `namespace`'s."""
        token = issue_upload_token(
            self._instance_name,
            self._instance_secret,
            self._clock() // 1_000_000_000,
            namespace.component,
        )
        return f"{self._origin}/api/storage/upload?token={token}"

    # ---- writing --------------------------------------------------------------------------

    async def upload(
        self,
        token: str,
        content_type: str | None,
        digest: str | None,
        body: AsyncIterator[bytes],
        transact: Transact[Any],
    ) -> str:
        """`POST /api/storage/upload`: stream `body` into a new file; its `Id<"_storage">`.

        The token is checked before the body is read, and spent with the record, so
        of two uploads racing with one token exactly one keeps its file.
        """
        now_s = self._clock() // 1_000_000_000
        accepted = check_upload_token(token, self._instance_name, self._instance_secret, now_s)
        expected = parse_digest(digest)
        await transact(lambda tx: file_storage.check_token_unused(tx, accepted.nonce))
        expires = (accepted.issued_s + UPLOAD_TOKEN_LIFETIME_S) * 1_000_000_000

        def record(tx: Transaction, key: str, sha256: bytes, size: int) -> StoredFile:
            file_storage.use_token(tx, accepted.nonce, expires)
            return file_storage.insert(
                tx, key, sha256, size, content_type or None, TableNamespace(accepted.component)
            )

        stored = await self._write(body, expected, record, transact)
        return stored.id

    async def store(
        self,
        data: bytes,
        content_type: str | None,
        sha256: bytes | None,
        transact: Transact[Any],
        namespace: TableNamespace = ROOT,
    ) -> StoredFile:
        """`storage.store(blob)` in an action: the bytes, then their record (a file of
        `namespace`), committed."""
        content_type = check_content_type(content_type)

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(data), WRITE_CHUNK):
                yield data[start : start + WRITE_CHUNK]

        def record(tx: Transaction, key: str, digest: bytes, size: int) -> StoredFile:
            return file_storage.insert(tx, key, digest, size, content_type, namespace)

        return await self._write(chunks(), sha256, record, transact)

    async def _write(
        self,
        body: AsyncIterator[bytes],
        expected: bytes | None,
        record: Callable[[Transaction, str, bytes, int], StoredFile],
        transact: Transact[Any],
    ) -> StoredFile:
        key = str(uuid.uuid4())
        with self._lock:
            self._in_flight.add(key)
        try:
            writer = await asyncio.to_thread(self.blobs.writer, key)
            try:
                buffered = bytearray()
                async for chunk in body:
                    buffered += chunk
                    if len(buffered) >= WRITE_CHUNK:
                        await asyncio.to_thread(writer.write, bytes(buffered))
                        buffered.clear()
                if buffered:
                    await asyncio.to_thread(writer.write, bytes(buffered))
                info = await asyncio.to_thread(writer.finish)
            except BaseException:
                await asyncio.to_thread(writer.abort)
                raise
            try:
                if expected is not None and expected != info.sha256:
                    raise Sha256Mismatch(
                        "The SHA-256 of the uploaded bytes does not match the one given: "
                        f"{base64.b64encode(info.sha256).decode()}"
                    )
                stored: StoredFile = await transact(
                    lambda tx: record(tx, key, info.sha256, info.size)
                )
            except BaseException:
                await asyncio.to_thread(self.blobs.delete, key)
                raise
            return stored
        finally:
            with self._lock:
                self._in_flight.discard(key)

    def delete(self, tx: Transaction, file: StoredFile) -> None:
        """Delete `file`'s record in `tx`; its blob goes once that deletion is published."""
        file_storage.remove(tx, file)
        with self._lock:
            self._doomed.setdefault(file.key, time.monotonic())

    # ---- reading --------------------------------------------------------------------------

    async def read_all(self, file: StoredFile) -> bytes:
        return await asyncio.to_thread(lambda: b"".join(self.blobs.read(file.key)))

    async def chunks(self, file: StoredFile, start: int, end: int) -> AsyncIterator[bytes]:
        """The bytes `[start, end)` of `file`, a chunk at a time, read off the loop."""
        source = self.blobs.read(file.key, start, end, READ_CHUNK)
        done = object()
        try:
            while True:
                chunk = await asyncio.to_thread(next, source, done)
                if chunk is done:
                    return
                yield chunk  # type: ignore[misc]
        finally:
            close = getattr(source, "close", None)
            if close is not None:  # a client that went away leaves the blob open otherwise
                await asyncio.to_thread(close)

    # ---- collecting ----------------------------------------------------------------------

    def collect(self, db: Database) -> int:
        """Delete the blobs whose records' deletion is published; returns how many."""
        with self._lock:
            doomed = dict(self._doomed)
        if not doomed:
            return 0
        tx = db.begin(read_only=True)
        deleted = 0
        for key, since in doomed.items():
            if file_storage.holds_key(tx, key):
                if time.monotonic() - since > DOOMED_PATIENCE_S:
                    self._forget(key)
                continue
            self.blobs.delete(key)
            self._forget(key)
            deleted += 1
        return deleted

    def sweep(self, db: Database) -> int:
        """Delete every blob no record points at and no upload is writing; returns how many."""
        deleted = 0
        for key in list(self.blobs.keys()):
            with self._lock:
                if key in self._in_flight:
                    continue
            if not file_storage.holds_key(db.begin(read_only=True), key):
                self.blobs.delete(key)
                deleted += 1
        return deleted

    def _forget(self, key: str) -> None:
        with self._lock:
            self._doomed.pop(key, None)


class FileDownload:
    """A stored file as the download endpoint serves it (`server.types.StoredFileView`)."""

    __slots__ = ("_file", "_files")

    def __init__(self, file: StoredFile, files: FileStorage) -> None:
        self._file = file
        self._files = files

    @property
    def size(self) -> int:
        return self._file.size

    @property
    def content_type(self) -> str | None:
        return self._file.content_type

    @property
    def sha256(self) -> bytes:
        return self._file.sha256

    def chunks(self, start: int, end: int) -> AsyncIterator[bytes]:
        return self._files.chunks(self._file, start, end)
