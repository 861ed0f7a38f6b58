"""Log capture: `print` and `logging` inside a function become its log lines.

The collector of the running function lives in a context variable, so
functions running concurrently on different threads or tasks keep their
lines apart, and output outside any function goes where it always went.

After an execution, `forward` hands its lines to the Python logger
`convexlite.functions`, so an embedding application sees its functions' output
through its ordinary logging configuration (spec/functions.md §3.7 has Convex
stream them to the dashboard; this is the in-process equivalent).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TextIO

MAX_LINES = 256
MAX_LINE_BYTES = 32768
_TRUNCATED_SUFFIX = " (truncated due to length)"
_OVERFLOW_TEXT = "Log overflow (maximum 256). Remaining log lines omitted."

FUNCTION_LOGGER = logging.getLogger("convexlite.functions")

_LEVELS = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARN",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "ERROR",
}


@dataclass(frozen=True, slots=True)
class LogLine:
    """One log line, structured: its level, text, time (ms) and whether it was cut."""

    level: str
    text: str
    timestamp: int
    is_truncated: bool = False

    def rendered(self) -> str:
        """Convex's `[LEVEL] text` string form."""
        suffix = _TRUNCATED_SUFFIX if self.is_truncated else ""
        return f"[{self.level}] {self.text}{suffix}"

    def structured(self) -> dict[str, Any]:
        """The structured form of the log stream (spec/protocol.md §3.4.3)."""
        return {
            "messages": [self.text],
            "level": self.level,
            "timestamp": self.timestamp,
            "isTruncated": self.is_truncated,
            "systemMetadata": None,
        }


class LogCollector:
    """The log lines of one function execution, in Convex's `[LEVEL] text` form
    (`lines`) and structured (`structured`, the same lines as `LogLine`s).

    `on_line`, when set, is called with every line as it is logged (an action's
    lines go to the log stream as they happen)."""

    __slots__ = ("lines", "structured", "on_line", "_partial")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.structured: list[LogLine] = []
        self.on_line: Callable[[LogLine], None] | None = None
        self._partial = ""

    def log(self, level: str, text: str, *, truncated: bool = False) -> None:
        """Add a line; `truncated` says the text was already cut to the limit (by V8)."""
        if len(self.lines) >= MAX_LINES:
            return
        if len(self.lines) == MAX_LINES - 1:
            self._add(LogLine("ERROR", _OVERFLOW_TEXT, _now_ms()))
            return
        encoded = text.encode()
        cut = truncated or len(encoded) > MAX_LINE_BYTES
        if cut:
            text = encoded[:MAX_LINE_BYTES].decode(errors="ignore")
        self._add(LogLine(level, text, _now_ms(), cut))

    def _add(self, line: LogLine) -> None:
        self.lines.append(line.rendered())
        self.structured.append(line)
        if self.on_line is not None:
            self.on_line(line)

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


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


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
        elif not _has_other_handler(record):
            # Our presence on the root logger hides it from `logging.lastResort`; stand in
            # for it so an unconfigured application still sees its warnings on stderr.
            last_resort = logging.lastResort
            if last_resort is not None and record.levelno >= last_resort.level:
                last_resort.handle(record)


def _has_other_handler(record: logging.LogRecord) -> bool:
    """Whether a handler other than ours saw `record` (Logger.callHandlers' walk)."""
    logger: logging.Logger | None = logging.getLogger(record.name)
    while logger is not None:
        for handler in logger.handlers:
            if not isinstance(handler, _LoggingHandler) and record.levelno >= handler.level:
                return True
        if not logger.propagate:
            return False
        logger = logger.parent
    return False


_install_lock = threading.Lock()
_handler = _LoggingHandler(logging.DEBUG)


def install() -> None:
    """Route stdout and the root logger into function log collectors (idempotent).

    Checked again before every execution: test runners, `redirect_stdout` and
    `logging.basicConfig(force=True)` replace `sys.stdout` or the root handlers, and
    capture must survive that. Logger levels are left alone: a record is captured
    if the application's logging configuration lets it through (the root default
    is WARNING).
    """
    root = logging.getLogger()
    if isinstance(sys.stdout, _StdoutRouter) and _handler in root.handlers:
        return
    with _install_lock:
        if not isinstance(sys.stdout, _StdoutRouter):
            sys.stdout = _StdoutRouter(sys.stdout)
        if _handler not in root.handlers:
            root.addHandler(_handler)


@contextlib.contextmanager
def capture() -> Iterator[LogCollector]:
    install()
    collector = LogCollector()
    token = current.set(collector)
    try:
        yield collector
    finally:
        collector.flush()
        current.reset(token)


_FORWARD_LEVELS = {
    "LOG": logging.INFO,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "DEBUG": logging.DEBUG,
}


def forward(function: str, lines: list[str]) -> None:
    """Emit `lines` on the `convexlite.functions` logger, one record per line.

    Each record's message is `[<function>] <line>` (`[messages:send] [LOG] 'hi'`)
    and its level follows the line's (`LOG` and `INFO` → INFO, `WARN` → WARNING,
    `ERROR` → ERROR, `DEBUG` → DEBUG). Disabled levels cost one `isEnabledFor`
    call per line. The records are emitted with no collector current, so a
    handler that prints them never feeds them back into a function's own lines.
    """
    if not lines or FUNCTION_LOGGER.disabled:
        return
    token = current.set(None)
    try:
        for line in lines:
            level = _FORWARD_LEVELS.get(line[1 : line.find("]")], logging.INFO)
            if FUNCTION_LOGGER.isEnabledFor(level):
                FUNCTION_LOGGER.log(level, "[%s] %s", function, line)
    finally:
        current.reset(token)
