"""Push-time analysis of pushed modules, run inside a V8 context with the host prelude.

The backend learns what a push defines only by evaluating it (functions.md §1.6):
each module is imported in the import phase (every syscall refused), and the
registered functions, HTTP routes and cron jobs are read off its exports. Schema,
app definition and auth config are evaluated the same way. The prelude does the
in-V8 work (`__cvx.analyze` / `__cvx.evaluate`) and answers with a JSON envelope
`{ok, value | error, logs}`; this module rewrites and defines the modules, calls
it, and turns failures into convexlite errors carrying upstream's error codes.

`context` is anything with `eval(source, *, timeout)` (V8Context, or MiniRacer
behind an adapter). A context holds one push: use a fresh one per push.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from convexlite.errors import BadRequestError
from convexlite.js.esm_rewrite import InvalidModulePath, UnsupportedModuleSyntax, rewrite_module
from convexlite.js.module_loader import ScriptContext, define_modules
from convexlite.js.prelude import seed_words
from convexlite.js.v8 import V8Context, init_v8

_T = TypeVar("_T")
SECONDS_PER_MODULE = 4.0
LOG_LINES_ON_FAILURE = 100
_INVALID_MODULES_PREFIX = "Loading the pushed modules encountered the following error:\n"


class AnalysisError(BadRequestError):
    """Evaluating pushed code failed; `logs` are its last console lines."""

    code: ClassVar[str] = "InvalidModules"

    def __init__(self, message: str, logs: list[str] | None = None) -> None:
        super().__init__(message)
        self.logs = logs or []


class InvalidModules(AnalysisError):
    code = "InvalidModules"


class InvalidFunctionName(AnalysisError):
    code = "InvalidFunctionName"


class InvalidSchema(AnalysisError):
    code = "InvalidSchema"


class InvalidAppDefinition(AnalysisError):
    code = "InvalidAppDefinition"


class InvalidAuthConfig(AnalysisError):
    code = "InvalidAuthConfig"


class AuthConfigMissingEnvironmentVariable(AnalysisError):
    code = "AuthConfigMissingEnvironmentVariable"


_BY_CODE: dict[str, type[AnalysisError]] = {
    cls.code: cls
    for cls in (
        InvalidModules,
        InvalidFunctionName,
        AuthConfigMissingEnvironmentVariable,
    )
}

DEFAULT_APP_DEFINITION: dict[str, Any] = {
    "definitionType": {"type": "app"},
    "childComponents": [],
    "httpMounts": {},
    "exports": {"type": "branch", "branch": []},
}


def analyze_modules(
    context: ScriptContext,
    modules: Mapping[str, str],
    *,
    env: Mapping[str, str],
    seed: bytes,
    import_time_ns: int,
) -> dict[str, dict[str, Any]]:
    """AnalyzedModule JSON (§1.6.2) for every module of the push not under `_deps/`.

    `modules` maps each pushed isolate module path to its ES module source.
    `auth.config.js` gets an empty entry. Cron jobs are validated by the push
    (`deploy/crons.py`), not here.
    """
    _define(context, modules)
    entries = sorted(path for path in modules if not path.startswith("_deps/"))
    request = {"modules": entries, **_phase(env, seed, import_time_ns)}
    analyzed = _call(
        context,
        f"__cvx.analyze({json.dumps(request)})",
        timeout=SECONDS_PER_MODULE * max(1, len(entries)),
        failure=InvalidModules,
        prefix=_INVALID_MODULES_PREFIX,
    )
    assert isinstance(analyzed, dict)
    return analyzed


def evaluate_schema(
    context: ScriptContext,
    modules: Mapping[str, str],
    *,
    env: Mapping[str, str],
    seed: bytes,
    import_time_ns: int,
) -> dict[str, Any] | None:
    """The parsed schema JSON (§1.7) of `schema.js`, or None if the push has none."""
    if "schema.js" not in modules:
        return None
    value = _evaluate(
        context, modules, "schema.js", "schema", env, seed, import_time_ns, InvalidSchema
    )
    if not isinstance(value, dict) or not isinstance(value.get("tables"), list):
        raise InvalidSchema("schema.js: the default export did not produce a schema")
    return value


def evaluate_app_definition(
    context: ScriptContext,
    modules: Mapping[str, str],
    *,
    env: Mapping[str, str],
    seed: bytes,
    import_time_ns: int,
) -> dict[str, Any]:
    """The app's (or a component's) ComponentDefinitionMetadata (§1.8) from
    `convex.config.js`; `modules` also hold the stubs of the component definitions it uses.

    Without a `convex.config.js` the default root definition is returned.
    """
    if "convex.config.js" not in modules:
        return json.loads(json.dumps(DEFAULT_APP_DEFINITION))
    value = _evaluate(
        context,
        modules,
        "convex.config.js",
        "appDefinition",
        env,
        seed,
        import_time_ns,
        InvalidAppDefinition,
    )
    if not isinstance(value, dict):
        raise InvalidAppDefinition("convex.config.js: the default export is not an app definition")
    return value


def evaluate_auth_config(
    context: ScriptContext,
    modules: Mapping[str, str],
    *,
    env: Mapping[str, str],
    seed: bytes,
    import_time_ns: int,
) -> list[dict[str, Any]]:
    """The auth providers of `auth.config.js` (empty without one).

    Reading an unset environment variable there is an error
    (`AuthConfigMissingEnvironmentVariable`), as upstream reports it.
    """
    if "auth.config.js" not in modules:
        return []
    value = _evaluate(
        context,
        modules,
        "auth.config.js",
        "authConfig",
        env,
        seed,
        import_time_ns,
        InvalidAuthConfig,
    )
    if not isinstance(value, list) or not all(isinstance(p, dict) for p in value):
        raise InvalidAuthConfig("auth.config.js: `providers` must be an array of objects")
    return value


# -- helpers ------------------------------------------------------------------------------


def _phase(env: Mapping[str, str], seed: bytes, import_time_ns: int) -> dict[str, Any]:
    if len(seed) != 32:
        raise ValueError("the import-phase seed must be 32 bytes")
    return {"env": dict(env), "seed": seed_words(seed), "time": import_time_ns // 1_000_000}


def _define(context: ScriptContext, modules: Mapping[str, str]) -> None:
    try:
        rewritten = [
            rewrite_module(path, source, modules.keys()) for path, source in modules.items()
        ]
        define_modules(context, rewritten)
    except UnsupportedModuleSyntax as exc:
        raise InvalidModules(
            f"{_INVALID_MODULES_PREFIX}{exc.path}:{exc.line}: {exc.found}"
        ) from None
    except InvalidModulePath as exc:
        raise InvalidModules(f"{_INVALID_MODULES_PREFIX}{exc}") from None


def _evaluate(
    context: ScriptContext,
    modules: Mapping[str, str],
    path: str,
    what: str,
    env: Mapping[str, str],
    seed: bytes,
    import_time_ns: int,
    failure: type[AnalysisError],
) -> Any:
    _define(context, modules)  # `path` and what it imports (component definition stubs)
    request = {"module": path, "what": what, **_phase(env, seed, import_time_ns)}
    return _call(
        context,
        f"__cvx.evaluate({json.dumps(request)})",
        timeout=SECONDS_PER_MODULE,
        failure=failure,
        prefix=f"Failed to evaluate {path}:\n" if failure is not InvalidModules else "",
    )


def _call(
    context: ScriptContext,
    script: str,
    *,
    timeout: float,
    failure: type[AnalysisError],
    prefix: str,
) -> Any:
    raw = context.eval(script, timeout=timeout)
    if not isinstance(raw, str):
        raise failure(f"{prefix}the prelude returned {raw!r}")
    envelope = json.loads(raw)
    logs = [_log_text(line) for line in envelope.get("logs", [])][-LOG_LINES_ON_FAILURE:]
    if envelope.get("ok"):
        return envelope["value"]
    error = envelope["error"]
    cls = _BY_CODE.get(error.get("code", ""), failure)
    message = _error_text(error)
    if cls is InvalidModules and prefix == _INVALID_MODULES_PREFIX:
        where = error.get("module")
        message = f"{prefix}Failed to analyze {where}: {message}" if where else prefix + message
    elif cls is failure:
        message = prefix + message
    if logs and cls is not AuthConfigMissingEnvironmentVariable:
        message += "\n\nLogs:\n" + "\n".join(logs)
    raise cls(message, logs)


def _error_text(error: Mapping[str, Any]) -> str:
    """`Uncaught Error: msg` plus the stack frames (V8's text), or the bare message for
    errors the prelude raises on the host's behalf (they carry a code)."""
    if "code" in error:
        return str(error["message"])
    stack = error.get("stack") or ""
    header = f"{error.get('name') or 'Error'}: {error.get('message', '')}"
    frames = stack.split("\n", 1)[1] if "\n" in stack else ""
    return f"Uncaught {header}" + (f"\n{frames}" if frames else "")


def _log_text(line: Mapping[str, Any]) -> str:
    text = f"[{line.get('level', 'LOG')}] " + " ".join(line.get("messages", []))
    return text + (" (truncated due to length)" if line.get("isTruncated") else "")


class V8Analyzer:
    """The push analyzer of `deploy` (its `Analyzer` protocol), each evaluation in a fresh
    context (spec/functions.md §4.5 R8), so nothing one push's code did at import time
    leaks into the next evaluation."""

    def analyze_modules(
        self, modules: Mapping[str, str], **phase: Any
    ) -> dict[str, dict[str, Any]]:
        return _in_fresh_context(analyze_modules, modules, **phase)

    def evaluate_schema(
        self, modules: Mapping[str, str], path: str, **phase: Any
    ) -> dict[str, Any] | None:
        return _in_fresh_context(evaluate_schema, _only(modules, path), **phase)

    def evaluate_app_definition(
        self, modules: Mapping[str, str], path: str, **phase: Any
    ) -> dict[str, Any]:
        return _in_fresh_context(evaluate_app_definition, modules, **phase)

    def evaluate_auth_config(
        self, modules: Mapping[str, str], path: str, **phase: Any
    ) -> list[Mapping[str, Any]]:
        return [*_in_fresh_context(evaluate_auth_config, _only(modules, path), **phase)]


def _only(modules: Mapping[str, str], path: str) -> dict[str, str]:
    """Schema, app definition and auth config are single-file bundles (§2.1)."""
    return {path: modules[path]} if path in modules else {}


def _in_fresh_context(evaluate: Callable[..., _T], modules: Mapping[str, str], **phase: Any) -> _T:
    """`evaluate(context, modules, env=, seed=, import_time_ns=)` in a new context."""
    init_v8()
    with V8Context() as context:
        return evaluate(context, modules, **phase)
