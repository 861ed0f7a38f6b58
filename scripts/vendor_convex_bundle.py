"""Copy the official `convex` npm package's browser bundle into the dashboard's static files.

    python scripts/vendor_convex_bundle.py [tests/clients/node_modules/convex]

The dashboard's pages use its `ConvexClient` (a classic script defining `window.convex`).
The copy is the package's `dist/browser.bundle.js` with its `sourceMappingURL` comment
removed (the map is not shipped), beside the package's LICENSE (Apache-2.0) and a NOTICE
naming the version and the SHA-256 of the original, so anyone can check it. Run it again
after changing the pinned `convex` version in tests/clients/package.json.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "clients" / "node_modules" / "convex"
TARGET = ROOT / "convexlite" / "server" / "dashboard" / "static" / "vendor"


def main(source: Path = SOURCE) -> None:
    package = json.loads((source / "package.json").read_text())
    if package.get("license") != "Apache-2.0":
        raise SystemExit(f"convex's licence is {package.get('license')!r}, not Apache-2.0")
    original = (source / "dist" / "browser.bundle.js").read_bytes()
    lines = original.rstrip(b"\n").split(b"\n")
    if lines[-1].startswith(b"//# sourceMappingURL="):
        lines.pop()
    TARGET.mkdir(parents=True, exist_ok=True)
    (TARGET / "convex.browser.bundle.js").write_bytes(b"\n".join(lines) + b"\n")
    shutil.copyfile(source / "LICENSE", TARGET / "convex.LICENSE")
    (TARGET / "convex.NOTICE").write_text(
        f"convex.browser.bundle.js is dist/browser.bundle.js of the npm package "
        f"convex@{package['version']}\n"
        f"(https://www.npmjs.com/package/convex), published by Convex, Inc., licensed under the\n"
        f"Apache License 2.0 (convex.LICENSE). Changed: the sourceMappingURL comment removed.\n"
        f"SHA-256 of the original: {hashlib.sha256(original).hexdigest()}\n"
        f"Copied by scripts/vendor_convex_bundle.py.\n"
    )
    print(f"vendored convex@{package['version']} into {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE)
