"""A push's node modules on disk, and the npm packages they import.

Node loads modules from files, so each push's node modules (entry modules and
`_deps/node/` chunks, each with its source map beside it for
`--enable-source-maps`) are written to a directory named by their content:
`<root>/bundles/<id>/modules/`. The `"type": "module"` package file there makes
Node read them as ES modules. The external packages the CLI leaves out of the
bundle (`node.externalPackages` in `convex.json`, sent as `nodeDependencies`)
are installed by `npm install` into `<root>/deps/<id>/`, named by the package
list, so a push that keeps its packages never installs them again; the bundle
directory links `node_modules` to them, which is where Node's resolution of a
bare import looks.

Both are written into a temporary directory and renamed into place, so a
directory that exists is complete, and two processes sharing `root` at once
both end up with the same result.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from convexlite.node.nodejs import NodeJs

NPM_INSTALL_SECONDS = 300.0
MODULES_DIR = "modules"


@dataclass(frozen=True, slots=True, order=True)
class NodeDependency:
    """An external npm package a node module imports: `{name, version}` of the push."""

    name: str
    version: str


class DependencyInstallFailed(Exception):
    """`npm install` of the push's external packages failed; the message has npm's output."""


def parse_dependencies(raw: Iterable[object]) -> tuple[NodeDependency, ...]:
    """`nodeDependencies` of a push request, checked and sorted."""
    found = []
    for entry in raw:
        if not isinstance(entry, Mapping):
            raise ValueError("each of `nodeDependencies` must be an object {name, version}")
        name, version = entry.get("name"), entry.get("version")
        if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
            raise ValueError(f"invalid node dependency {dict(entry)!r}: needs a name and version")
        found.append(NodeDependency(name, version))
    return tuple(sorted(set(found)))


def dependencies_id(dependencies: Iterable[NodeDependency]) -> str | None:
    """The content id of a package list (`externalDepsId` of `start_push`), None if empty."""
    listed = sorted(dependencies)
    if not listed:
        return None
    text = json.dumps([[d.name, d.version] for d in listed])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def default_root() -> Path:
    """Where node bundles and packages are kept unless the engine says otherwise: a cache
    shared by the processes of one user (everything in it is named by content)."""
    return Path(tempfile.gettempdir()) / f"convexlite-node-{os.getuid()}"


class NodeFiles:
    """The bundles and installed packages kept under `root`."""

    def __init__(self, root: Path, node: NodeJs) -> None:
        self.root = root
        self.node = node

    def install(self, dependencies: tuple[NodeDependency, ...]) -> Path | None:
        """The `node_modules` directory holding `dependencies`, installed if needed."""
        deps_id = dependencies_id(dependencies)
        if deps_id is None:
            return None
        target = self.root / "deps" / deps_id
        if not (target / "node_modules").is_dir():
            package = {
                "name": "convexlite-node-dependencies",
                "private": True,
                "dependencies": {d.name: d.version for d in dependencies},
            }
            with self._staging("deps") as staging:
                (staging / "package.json").write_text(json.dumps(package, indent=2))
                self._npm_install(staging)
                _publish(staging, target)
        return target / "node_modules"

    def _npm_install(self, directory: Path) -> None:
        npm = self._npm()
        command = [npm, "install", "--no-audit", "--no-fund", "--omit=dev", "--no-save"]
        environ = dict(os.environ)
        environ["PATH"] = os.pathsep.join(
            [str(Path(self.node.executable).parent), environ.get("PATH", "")]
        )
        try:
            done = subprocess.run(
                command, cwd=directory, env=environ, capture_output=True, text=True,
                timeout=NPM_INSTALL_SECONDS, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise DependencyInstallFailed(
                f"npm install took more than {NPM_INSTALL_SECONDS:g} s"
            ) from None
        except OSError as exc:
            raise DependencyInstallFailed(f"npm could not be started: {exc}") from None
        if done.returncode != 0:
            output = (done.stderr or done.stdout).strip()[-4000:]
            raise DependencyInstallFailed(f"npm install failed:\n{output}")

    def _npm(self) -> str:
        beside = Path(self.node.executable).parent / "npm"
        if beside.exists():
            return str(beside)
        found = shutil.which("npm")
        if found is None:
            raise DependencyInstallFailed("npm was not found beside node or on PATH")
        return found

    def bundle(
        self,
        modules: Mapping[str, tuple[str, str | None]],
        node_modules: Path | None,
    ) -> Path:
        """The directory holding `modules` ({path: (source, source map)}) ready to import,
        written if needed; it resolves bare imports from `node_modules`."""
        digest = hashlib.sha256()
        for path in sorted(modules):
            source, source_map = modules[path]
            for part in (path, source, source_map or ""):
                digest.update(part.encode())
                digest.update(b"\0")
        digest.update(str(node_modules).encode())
        target = self.root / "bundles" / digest.hexdigest()[:24]
        directory = target / MODULES_DIR
        if not directory.is_dir():
            with self._staging("bundle") as staging:
                written = staging / MODULES_DIR
                written.mkdir()
                (written / "package.json").write_text('{"type": "module"}\n')
                for path, (source, source_map) in modules.items():
                    file = written / path
                    file.parent.mkdir(parents=True, exist_ok=True)
                    file.write_text(source)
                    if source_map is not None:
                        file.with_name(file.name + ".map").write_text(source_map)
                if node_modules is not None:
                    (written / "node_modules").symlink_to(node_modules, target_is_directory=True)
                _publish(staging, target)
        return directory

    @contextlib.contextmanager
    def _staging(self, kind: str) -> Iterator[Path]:
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{kind}-", dir=self.root))
        try:
            yield staging
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _publish(staging: Path, target: Path) -> None:
    """Rename `staging` to `target` unless another writer got there first."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        staging.rename(target)
    except OSError:
        if not target.is_dir():
            raise
