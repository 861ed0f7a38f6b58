"""Log capture: `print` and `logging` inside a function become its log lines.

The collector of the running function lives in a context variable, so
functions running concurrently on different threads or tasks keep their
lines apart, and output outside any function goes where it always went.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, TextIO

MAX_LINES = 256
MAX_LINE_BYTES = 32768
_TRUNCATED = " (truncated due to length)"
_OVERFLOW = "[ERROR] Log overflow (maximum 256). Remaining log lines omitted."

_LEVELS = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARN",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "ERROR",
}


class LogCollector:
    """The log lines of one function execution, in Convex's `[LEVEL] text` form."""

    __slots__ = ("lines", "_partial")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._partial = ""

    def log(self, level: str, text: str) -> None:
        if len(self.lines) >= MAX_LINES:
            return
        if len(self.lines) == MAX_LINES - 1:
            self.lines.append(_OVERFLOW)
            return
        encoded = text.encode()
        if len(encoded) > MAX_LINE_BYTES:
            text = encoded[:MAX_LINE_BYTES].decode(errors="ignore") + _TRUNCATED
        self.lines.append(f"[{level}] {text}")

    def write(self, data: str) -> None:
        """Receive `print` output; a line is logged at each newline."""
        self._partial += data
        while "\n" in self._partial:
            line, self._partial = self._partial.split("\n", 1)
            self.log("LOG", _quote(line))

    def flush(self) -> None:
        if self._partial:
            line, self._partial = self._partial, ""
            self.log("LOG", _quote(line))

    def extend(self, lines: list[str]) -> None:
        """Splice in the lines of a nested call, counting against the same limit."""
        for line in lines:
            level, _, text = line.partition("] ")
            self.log(level.lstrip("["), text)


def _quote(text: str) -> str:
    """Render like console.log renders a string argument: single-quoted."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


current: ContextVar[LogCollector | None] = ContextVar("convexlite_log_collector", default=None)


class _StdoutRouter:
    """Stands in for sys.stdout: writes go to the running function, if any."""

    def __init__(self, original: TextIO) -> None:
        self._original = original

    def write(self, data: str) -> int:
        collector = current.get()
        if collector is None:
            return self._original.write(data)
        collector.write(data)
        return len(data)

    def flush(self) -> None:
        if current.get() is None:
            self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


class _LoggingHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        collector = current.get()
        if collector is not None:
            collector.log(_LEVELS.get(record.levelno, "LOG"), _quote(record.getMessage()))


_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Route stdout and the root logger into function log collectors (idempotent).

    Logger levels are left alone: a record is captured if the application's
    logging configuration lets it through (the root default is WARNING).
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        _installed = True
        sys.stdout = _StdoutRouter(sys.stdout)  # type: ignore[assignment]
        logging.getLogger().addHandler(_LoggingHandler(logging.DEBUG))


@contextlib.contextmanager
def capture() -> Iterator[LogCollector]:
    collector = LogCollector()
    token = current.set(collector)
    try:
        yield collector
    finally:
        collector.flush()
        current.reset(token)
