"""`MemoryBlobStore`: blobs in a dict, for `memory:` backends, embedded use and tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from convexlite.files.types import (
    DEFAULT_CHUNK_SIZE,
    BlobInfo,
    BlobNotFound,
    check_key,
    check_range,
    clamp_range,
)
from convexlite.files.writer import StreamedPut, WriterBase


class MemoryBlobStore(StreamedPut):
    """Gone with the process; `read` yields slices of the stored bytes, never copies of all."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def writer(self, key: str) -> _MemoryWriter:
        return _MemoryWriter(self, key)

    def size(self, key: str) -> int:
        return len(self._get(key))

    def read(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> Iterator[bytes]:
        check_range(start, end, chunk_size)
        data = self._get(key)
        first, stop = clamp_range(start, end, len(data))
        return (data[i : min(i + chunk_size, stop)] for i in range(first, stop, chunk_size))

    def delete(self, key: str) -> None:
        with self._lock:
            self._blobs.pop(check_key(key), None)

    def keys(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._blobs))

    def _get(self, key: str) -> bytes:
        with self._lock:
            data = self._blobs.get(check_key(key))
        if data is None:
            raise BlobNotFound(f"blob {key} not found")
        return data

    def _store(self, key: str, data: bytes) -> None:
        with self._lock:
            self._blobs[key] = data


class _MemoryWriter(WriterBase):
    def __init__(self, store: MemoryBlobStore, key: str) -> None:
        super().__init__(key)
        self._store = store
        self._chunks: list[bytes] = []

    def _write(self, chunk: bytes) -> None:
        self._chunks.append(bytes(chunk))

    def _finish(self, info: BlobInfo) -> None:
        self._store._store(self.key, b"".join(self._chunks))
        self._chunks = []

    def _abort(self) -> None:
        self._chunks = []
