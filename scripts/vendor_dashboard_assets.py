"""Rebuild the dashboard's vendored files from the npm packages pinned in tests/clients.

    python scripts/vendor_dashboard_assets.py

- `convex.browser.bundle.js`: the official `convex` package's `dist/browser.bundle.js`
  (a classic script defining `window.convex`, whose `ConvexClient` the pages use) with its
  `sourceMappingURL` comment removed (the map is not shipped), beside the package's
  LICENSE (Apache-2.0) and a NOTICE naming the version and the SHA-256 of the original.
- `sucrase.js`: `sucrase`'s `transform` bundled by esbuild into one minified ES module,
  which the Functions page loads to strip TypeScript from a custom test query as the
  official dashboard's editor does; a NOTICE names every package bundled and its licence.

Run it again after changing a pinned version in tests/clients/package.json (`npm ci`
there first); nothing in the dashboard is fetched from a CDN.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "tests" / "clients" / "node_modules"
TARGET = ROOT / "convexlite" / "server" / "dashboard" / "static" / "vendor"
FOOTER = "Written by scripts/vendor_dashboard_assets.py.\n"


def _package(name: str) -> dict[str, str]:
    return json.loads((NODE_MODULES / name / "package.json").read_text())


def vendor_convex() -> None:
    source = NODE_MODULES / "convex"
    package = _package("convex")
    if package.get("license") != "Apache-2.0":
        raise SystemExit(f"convex's licence is {package.get('license')!r}, not Apache-2.0")
    original = (source / "dist" / "browser.bundle.js").read_bytes()
    lines = original.rstrip(b"\n").split(b"\n")
    if lines[-1].startswith(b"//# sourceMappingURL="):
        lines.pop()
    (TARGET / "convex.browser.bundle.js").write_bytes(b"\n".join(lines) + b"\n")
    shutil.copyfile(source / "LICENSE", TARGET / "convex.LICENSE")
    (TARGET / "convex.NOTICE").write_text(
        f"convex.browser.bundle.js is dist/browser.bundle.js of the npm package "
        f"convex@{package['version']}\n"
        f"(https://www.npmjs.com/package/convex), published by Convex, Inc., licensed under the\n"
        f"Apache License 2.0 (convex.LICENSE). Changed: the sourceMappingURL comment removed.\n"
        f"SHA-256 of the original: {hashlib.sha256(original).hexdigest()}\n" + FOOTER
    )
    print(f"vendored convex@{package['version']}")


def bundle_sucrase() -> None:
    version = _package("sucrase")["version"]
    with tempfile.TemporaryDirectory() as tmp:
        entry, meta = Path(tmp) / "entry.mjs", Path(tmp) / "meta.json"
        entry.write_text(f'export {{ transform }} from "{NODE_MODULES / "sucrase"}";\n')
        subprocess.run(
            [str(NODE_MODULES / ".bin" / "esbuild"), str(entry), "--bundle", "--format=esm",
             "--minify", "--platform=browser", "--legal-comments=none",
             f"--metafile={meta}", f"--outfile={TARGET / 'sucrase.js'}"],
            check=True,
        )  # fmt: skip
        inputs = json.loads(meta.read_text())["inputs"]
    names = sorted({_package_name(path) for path in inputs if "node_modules/" in path})
    notices = [
        f"  {name}@{_package(name)['version']} ({_package(name)['license']})" for name in names
    ]
    (TARGET / "sucrase.NOTICE").write_text(
        f"sucrase.js is the `transform` function of the npm package sucrase@{version}\n"
        "(https://www.npmjs.com/package/sucrase), bundled by esbuild with what it imports:\n"
        + "\n".join(notices)
        + "\nTheir licence texts are in sucrase.LICENSE.\n"
        + FOOTER
    )
    (TARGET / "sucrase.LICENSE").write_text("\n".join(_licence_text(name) for name in names))
    print(f"bundled sucrase@{version} ({', '.join(names)})")


def _licence_text(name: str) -> str:
    [licence] = [p for p in (NODE_MODULES / name).iterdir() if p.name.upper().startswith("LICEN")]
    return f"==== {name} ====\n\n{licence.read_text().strip()}\n"


def _package_name(path: str) -> str:
    parts = path.split("node_modules/")[-1].split("/")
    return "/".join(parts[:2]) if parts[0].startswith("@") else parts[0]


if __name__ == "__main__":
    TARGET.mkdir(parents=True, exist_ok=True)
    vendor_convex()
    bundle_sucrase()
