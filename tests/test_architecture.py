"""The house stays as design.md draws it: no hidden imports inside functions.

`lint-imports` (run by `.ci/run` with the contracts in pyproject.toml) checks
the floors and cycles; it counts imports wherever they are written, so a
function-level import cannot hide a cycle from it. This test keeps such imports
for what they are meant for: loading an optional database driver (or the S3 client) only
when used.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "convexlite"
OPTIONAL_DRIVERS = {
    "convexlite.persistence.postgres",
    "convexlite.persistence.mysql",
    "convexlite.files.s3",
}


def _function_level_imports() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            where = str(path.relative_to(PACKAGE.parent))
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom):
                    names = [inner.module or ""]
                elif isinstance(inner, ast.Import):
                    names = [alias.name for alias in inner.names]
                else:
                    continue
                found += [(where, inner.lineno, n) for n in names if n.startswith("convexlite")]
    return found


def test_function_level_imports_only_load_optional_drivers():
    hidden = [entry for entry in _function_level_imports() if entry[2] not in OPTIONAL_DRIVERS]
    assert hidden == [], "import at module level (or make it an optional driver): " + repr(hidden)


def test_no_type_checking_imports_of_convexlite():
    """An import under `if TYPE_CHECKING:` is a cycle in disguise."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                text = ast.unparse(node)
                if "convexlite" in text:
                    offenders.append(str(path.relative_to(PACKAGE.parent)))
    assert offenders == []
