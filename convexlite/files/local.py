"""`LocalBlobStore`: one file per blob, `<directory>/<key>.blob` (spec/platform.md §4.6).

A write goes to a hidden temporary file in the same directory, which is fsynced and then
renamed over the key (and the directory fsynced), so a crash leaves either the whole blob or
nothing under the key. Temporary files left by a crash are not blobs: `keys()` skips them and
opening the store removes them (one process owns a storage directory, as the database's write
lease ensures).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import BinaryIO

from convexlite.files.types import (
    DEFAULT_CHUNK_SIZE,
    BlobInfo,
    BlobNotFound,
    check_key,
    check_range,
    clamp_range,
)
from convexlite.files.writer import StreamedPut, WriterBase

BLOB_SUFFIX = ".blob"
TEMP_SUFFIX = ".tmp"


class LocalBlobStore(StreamedPut):
    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = os.path.abspath(directory)
        if not os.path.isdir(self.directory):
            os.makedirs(self.directory, exist_ok=True)
            sync_directory(os.path.dirname(self.directory))  # so the first blob's path lasts
        self._remove_leftovers()

    def path(self, key: str) -> str:
        return os.path.join(self.directory, check_key(key) + BLOB_SUFFIX)

    def writer(self, key: str) -> _LocalWriter:
        return _LocalWriter(self, key)

    def size(self, key: str) -> int:
        try:
            return os.stat(self.path(key)).st_size
        except FileNotFoundError:
            raise BlobNotFound(f"blob {key} not found in {self.directory}") from None

    def read(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> Iterator[bytes]:
        check_range(start, end, chunk_size)
        try:
            file = open(self.path(key), "rb")  # noqa: SIM115 -- closed by the generator
        except FileNotFoundError:
            raise BlobNotFound(f"blob {key} not found in {self.directory}") from None
        first, stop = clamp_range(start, end, os.fstat(file.fileno()).st_size)
        return _chunks(file, first, stop, chunk_size)

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path(key))

    def keys(self) -> Iterator[str]:
        with os.scandir(self.directory) as entries:
            names = [entry.name for entry in entries]
        return (
            name[: -len(BLOB_SUFFIX)]
            for name in names
            if name.endswith(BLOB_SUFFIX) and not name.startswith(".")
        )

    def temp_path(self, key: str) -> str:
        """Where a write in progress goes: hidden, in the same file system as the blob."""
        return os.path.join(self.directory, f".{key}.{uuid.uuid4().hex}{TEMP_SUFFIX}")

    def _remove_leftovers(self) -> None:
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX):
                    os.unlink(entry.path)


def sync_directory(path: str) -> None:
    """Make a rename or a new entry in the directory `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _chunks(file: BinaryIO, start: int, stop: int, chunk_size: int) -> Iterator[bytes]:
    with file:
        file.seek(start)
        remaining = stop - start
        while remaining > 0:
            chunk = file.read(min(chunk_size, remaining))
            if not chunk:
                return  # the file was cut short under us; the caller sees fewer bytes
            remaining -= len(chunk)
            yield chunk


class _LocalWriter(WriterBase):
    def __init__(self, store: LocalBlobStore, key: str) -> None:
        super().__init__(key)
        self._store = store
        self._temp = store.temp_path(self.key)
        self._file: BinaryIO | None = open(self._temp, "xb")  # noqa: SIM115 -- closed on finish

    def _write(self, chunk: bytes) -> None:
        assert self._file is not None
        self._file.write(chunk)

    def _finish(self, info: BlobInfo) -> None:
        assert self._file is not None
        file, self._file = self._file, None
        with file:
            file.flush()
            os.fsync(file.fileno())
        os.replace(self._temp, self._store.path(self.key))
        sync_directory(self._store.directory)

    def _abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._temp)
