"""Finding Node.js: the `node` on PATH, version 20 or newer (spec/functions.md §2.5).

Looked up when a push brings `"use node"` modules (and when a stored push with
some is served), not at startup: a deployment without node modules never needs
Node.js, and one installed later is found without a restart.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

MIN_NODE_MAJOR = 20
_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True, slots=True)
class NodeJs:
    """A usable Node.js: its executable and its version (`"20.20.2"`)."""

    executable: str
    version: str

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0])


class NodeJsUnavailable(Exception):
    """No usable Node.js; the message says what was found and what is needed."""


def find_node(environ: Mapping[str, str] | None = None) -> NodeJs:
    """The `node` on `environ["PATH"]` (the process's PATH by default); raises
    `NodeJsUnavailable` if there is none or it is older than 20."""
    path = None if environ is None else environ.get("PATH", "")
    executable = shutil.which("node", path=path)
    if executable is None:
        raise NodeJsUnavailable(f"Node.js {MIN_NODE_MAJOR}+ was not found on PATH")
    try:
        done = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NodeJsUnavailable(f"{executable} --version failed: {exc}") from None
    found = _VERSION.match(done.stdout.strip())
    if done.returncode != 0 or found is None:
        raise NodeJsUnavailable(f"{executable} --version printed {done.stdout.strip()!r}")
    node = NodeJs(executable, ".".join(found.groups()))
    if node.major < MIN_NODE_MAJOR:
        raise NodeJsUnavailable(
            f"{executable} is Node.js {node.version}; Node.js {MIN_NODE_MAJOR}+ is needed"
        )
    return node
