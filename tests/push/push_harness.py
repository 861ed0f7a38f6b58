"""A Convex project pushed by the real CLI (`convex` 1.48 from npm) to `convexlite serve`.

`Deployment` drives it: the CLI in the project, the official clients through call.mjs.

The server runs as a real process from a temporary directory with a known
instance secret, so the tests can mint its admin key; the project is copied
next to it with the pinned npm packages linked in, exactly as a user's
project would use them. Node.js follows the rule of tests/clients: skipped
without it unless CONVEXLITE_REQUIRE_SERVERS=1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from served import Served

HERE = Path(__file__).parent


@dataclass
class Deployment:
    served: Served
    admin_key: str
    project: Path
    clients: Path

    @property
    def url(self) -> str:
        return self.served.url

    def cli(
        self, *args: str, check: bool = True, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        """Run `npx convex <args>` in the project against this deployment."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEX_")}
        env |= {"CONVEX_SELF_HOSTED_URL": self.url, "CONVEX_SELF_HOSTED_ADMIN_KEY": self.admin_key}
        main = self.clients / "node_modules" / "convex" / "bin" / "main.js"
        done = subprocess.run(
            [str(shutil.which("node")), str(main), *args],
            cwd=self.project, env=env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise AssertionError(
                f"npx convex {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}\n--- server ---\n"
                f"{self.served.output[-3000:]}"
            )
        return done

    def node(self, *args: str, timeout: float = 60) -> list[dict[str, Any]]:
        """Run tests/push/call.mjs with the official clients; its JSON lines."""
        env = dict(os.environ, CONVEX_NPM_DIR=str(self.clients))
        done = subprocess.run(
            [str(shutil.which("node")), str(HERE / "call.mjs"), self.url, *args],
            env=env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        # the clients print the functions' log lines too ("[CONVEX M(...)] [LOG] ...")
        return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]

    def call(self, kind: str, path: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        [result] = self.node(json.dumps([{"kind": kind, "path": path, "args": args or {}}]))
        return result


def start(tmp: Path, secret: str) -> Served:
    return Served(tmp, env={"INSTANCE_SECRET": secret})
