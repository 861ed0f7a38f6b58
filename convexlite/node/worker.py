"""One Node.js executor process (`executor.mjs`) and the channel to it.

The channel is a socket pair: the child gets its end as an inherited file
descriptor, so user code printing to stdout cannot garble the protocol
(newline-delimited JSON, described at the top of executor.mjs). What the
process prints goes to the run's log (the last lines are kept to explain a
crash). A reader thread per process hands each message to the listener of
the request in flight; the end of the channel (the process exited or was
killed) reaches it as `{"op": "exit", "code", "output"}`.

The process exits by itself when the channel closes, so even a backend
killed without a chance to clean up leaves no executor running.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import socket
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from convexlite.node.nodejs import NodeJs

EXECUTOR = Path(__file__).with_name("executor.mjs")
OUTPUT_LINES = 20
Listener = Callable[[dict[str, Any]], None]


class NodeWorker:
    """A running executor; `listen` chooses who receives its messages."""

    def __init__(self, node: NodeJs, cwd: Path) -> None:
        ours, theirs = socket.socketpair()
        environ = dict(os.environ, CONVEXLITE_NODE_FD=str(theirs.fileno()))
        environ.pop("NODE_OPTIONS", None)
        try:
            self.process = subprocess.Popen(
                [node.executable, "--enable-source-maps", str(EXECUTOR)],
                cwd=cwd, env=environ, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, pass_fds=(theirs.fileno(),), start_new_session=True,
            )  # fmt: skip
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._socket = ours
        self._send_lock = threading.Lock()
        self._listener: Listener | None = None
        self._output: collections.deque[str] = collections.deque(maxlen=OUTPUT_LINES)
        self._output_done = threading.Event()
        self.exited = False
        self.runs = 0
        threading.Thread(target=self._read, name="convexlite-node-reader", daemon=True).start()
        threading.Thread(target=self._read_output, name="convexlite-node-out", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def listen(self, listener: Listener | None) -> None:
        self._listener = listener

    def send(self, message: dict[str, Any]) -> None:
        """Send one request; a dead process's channel swallows it (its exit is reported)."""
        data = (json.dumps(message) + "\n").encode()
        with self._send_lock, contextlib.suppress(OSError):
            self._socket.sendall(data)

    def _deliver(self, message: dict[str, Any]) -> None:
        listener = self._listener
        if listener is not None:
            listener(message)

    def _read(self) -> None:
        with contextlib.suppress(OSError), self._socket.makefile("rb") as lines:
            for line in lines:
                self._deliver(json.loads(line))
        code = self.process.wait()
        self.exited = True
        # Give the output thread a moment to collect the last words of a crash.
        self._output_done.wait(1.0)
        self._deliver({"op": "exit", "code": code, "output": "\n".join(self._output)})

    def _read_output(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        try:
            for raw in stream:
                text = raw.decode("utf-8", "replace").rstrip("\n")
                self._output.append(text)
                self._deliver({"op": "output", "text": text})
        finally:
            self._output_done.set()

    def kill(self) -> None:
        """Stop the process now (idempotent) and reap it."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        with contextlib.suppress(OSError):
            self._socket.close()
