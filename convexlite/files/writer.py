"""`WriterBase`: what every backend's streaming writer shares; `StreamedPut`: `put` as one
whole blob through the store's writer.

The digest and size are computed here, as the bytes pass, so each backend only moves bytes;
the state machine (writing, then finished or aborted, exactly once) lives here too, so that
`abort()` after `finish()` is harmless and a writer left by an exception cleans up after itself.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from types import TracebackType

from convexlite.files.types import BlobInfo, check_key


class WriterClosed(ValueError):
    """A write, finish or abort on a writer that was already finished or aborted."""


class WriterBase(ABC):
    def __init__(self, key: str) -> None:
        self.key = check_key(key)
        self._digest = hashlib.sha256()
        self._size = 0
        self._open = True
        self._finished = False

    def write(self, chunk: bytes) -> None:
        self._check_open()
        if chunk:
            self._digest.update(chunk)
            self._size += len(chunk)
            self._write(chunk)

    def finish(self) -> BlobInfo:
        self._check_open()
        self._open = False
        info = BlobInfo(self._size, self._digest.digest())
        try:
            self._finish(info)
        except BaseException:
            self._abort()
            raise
        self._finished = True
        return info

    def abort(self) -> None:
        if self._open:
            self._open = False
            self._abort()

    def __enter__(self) -> WriterBase:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abort()

    def _check_open(self) -> None:
        if not self._open:
            state = "finished" if self._finished else "aborted"
            raise WriterClosed(f"the writer of blob {self.key} is already {state}")

    @abstractmethod
    def _write(self, chunk: bytes) -> None:
        """Store a non-empty chunk (not yet visible)."""

    @abstractmethod
    def _finish(self, info: BlobInfo) -> None:
        """Make the blob durable and visible under the key."""

    @abstractmethod
    def _abort(self) -> None:
        """Drop everything written so far (also called when `_finish` fails)."""


class StreamedPut(ABC):
    """`BlobStore.put` for a store whose every write goes through its streaming writer."""

    @abstractmethod
    def writer(self, key: str) -> WriterBase: ...

    def put(self, key: str, data: bytes) -> BlobInfo:
        with self.writer(key) as writer:
            writer.write(data)
            return writer.finish()
