"""The blob-store protocol: immutable blobs by key, one store per use case (spec/platform.md §4.6).

A blob is written once, streamed, and never changed: a key names either nothing or a finished
blob, never half of one. The server calls stores from threads, so the API is synchronous and
every backend is safe to use from several threads at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from convexlite.errors import ConvexBackendError

USE_CASES = ("files", "modules", "search", "exports", "snapshot_imports")
"""Upstream's use cases: one local directory or one S3 bucket each."""

DEFAULT_CHUNK_SIZE = 1 << 20

_KEY = re.compile(r"[A-Za-z0-9_-]{1,200}")


class BlobNotFound(ConvexBackendError):
    """No finished blob under this key (never written, aborted, or deleted).

    An internal error: callers look up the blob's row first, so a row without a blob is a
    broken store, not a bad request."""

    code = "BlobNotFound"


class S3BucketUnavailable(ConvexBackendError):
    """A configured bucket that does not exist or cannot be reached with these credentials."""

    code = "S3BucketUnavailable"


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """What a finished write stored: the `size` and `sha256` of a `_file_storage` row."""

    size: int
    sha256: bytes  # the raw 32-byte digest


class BlobWriter(Protocol):
    """A streaming put: nothing is readable under the key until `finish()` returns.

    Used as a context manager, leaving the block without `finish()` aborts."""

    def write(self, chunk: bytes) -> None: ...

    def finish(self) -> BlobInfo:
        """Make the blob durable and readable; returns its size and digest."""
        ...

    def abort(self) -> None:
        """Drop what was written, leaving nothing behind; a no-op once finished or aborted."""
        ...

    def __enter__(self) -> BlobWriter: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class BlobStore(Protocol):
    """Immutable blobs by key (a UUID string), for one use case."""

    def writer(self, key: str) -> BlobWriter: ...

    def put(self, key: str, data: bytes) -> BlobInfo:
        """Write a whole blob at once (small blobs; stream large ones through `writer`)."""
        ...

    def size(self, key: str) -> int:
        """The blob's size in bytes; raises `BlobNotFound`."""
        ...

    def read(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> Iterator[bytes]:
        """Bytes `[start, end)` of the blob (clamped to its size), in chunks of at most
        `chunk_size`. Raises `BlobNotFound` when called, before anything is yielded, so an
        HTTP response can still choose its status; never holds the whole blob in memory."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob; a missing key is fine (deletes are retried by orphan collection)."""
        ...

    def keys(self) -> Iterator[str]:
        """The key of every finished blob, in no particular order (for orphan collection)."""
        ...


def check_key(key: str) -> str:
    """Refuse keys that could escape a directory or an S3 prefix: keys are UUIDs."""
    if not isinstance(key, str) or _KEY.fullmatch(key) is None:
        raise ValueError(f"invalid blob key {key!r}: expected letters, digits, '-' or '_'")
    return key


def check_range(start: int, end: int | None, chunk_size: int) -> None:
    if start < 0 or (end is not None and end < 0):
        raise ValueError(f"invalid blob range [{start}, {end}): offsets are never negative")
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, not {chunk_size}")


def clamp_range(start: int, end: int | None, size: int) -> tuple[int, int]:
    """`[start, end)` within a blob of `size` bytes; empty (start == end) when nothing is left."""
    stop = size if end is None else min(end, size)
    first = min(start, stop)
    return first, stop
