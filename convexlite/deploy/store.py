"""The module store: the active `PushedDeployment`, its code in the `modules` blob store and
the rest in system tables of the database.

Module text lives where upstream keeps it, in the blob store of the `modules` use case
(a local directory or the `S3_STORAGE_MODULES_BUCKET`), content-addressed by module
hash: `<sha256>-source` and `<sha256>-map`, so unchanged modules are never rewritten.
Tables (numbers from spec/database.md §1.3 where upstream has one):
- `_modules`: one row per module `{path, environment, sha256, hasSourceMap,
  analyzeResult}` (`analyzeResult`: AnalyzedModule JSON text, null for `_deps/` chunks);
- `_udf_config`: `{serverVersion, importPhaseRngSeed, importPhaseUnixTimestamp}`;
- `_auth`: `{providers}` (AuthInfo JSON text);
- `_deployment`: `{version, functionsDir, appDefinition, schema, nodeVersion,
  nodeDependencies, components}` (`nodeDependencies`: JSON text, absent in stores of earlier
  versions; `components`: JSON text of each component definition's metadata, schema,
  analysis and module hashes, its module text in the blob store beside the app's; absent
  before components were supported);
- `_components`: one row per component instance, the root's included, written in the same
  transaction (`functions/system/components.py`);
- `_source_packages`: where stores of earlier versions kept module text, in rows of at
  most `CHUNK_CHARS` characters `{sha256, part, seq, text}`; still read, emptied by the
  next save.

`save` writes the new blobs first and then replaces every row in one transaction, so a
crash leaves the old or the new version (with at most some unused blobs, deleted by the
next save), and `load_active` at startup serves the last push.
"""

from __future__ import annotations

import json
from typing import Any

from convexlite.database.database import Database
from convexlite.database.transaction import Transaction
from convexlite.deploy.component_tree import ComponentCode, http_mounts
from convexlite.deploy.deployment import PushedDeployment, StoredModule, UdfConfig
from convexlite.deploy.modules import ModuleConfig, module_hash
from convexlite.files import BlobNotFound, BlobStore
from convexlite.functions.system import audit_log, components
from convexlite.values import Int64

MODULES_TABLE = "_modules"
SOURCES_TABLE = "_source_packages"
UDF_CONFIG_TABLE = "_udf_config"
AUTH_TABLE = "_auth"
DEPLOYMENT_TABLE = "_deployment"
CHUNK_CHARS = 256 * 1024
"""At most 1 MiB of UTF-8 per `_source_packages` row (stores of earlier versions)."""
SOURCE, SOURCE_MAP = "source", "map"


class CorruptModuleStore(Exception):
    """The stored rows do not add up to a deployment (a missing chunk, a missing table)."""


def _single(tx: Transaction, table_name: str) -> dict[str, Any] | None:
    rows = list(tx.rows(table_name, prefetch=256))
    if len(rows) > 1:
        raise CorruptModuleStore(f"{table_name} holds {len(rows)} rows instead of one")
    return rows[0] if rows else None


def _blob_key(sha: str, part: str) -> str:
    return f"{sha}-{part}"


def _read_text(blobs: BlobStore, sha: str, part: str) -> str | None:
    try:
        return b"".join(blobs.read(_blob_key(sha, part))).decode("utf-8")
    except BlobNotFound:
        return None


def load_active(db: Database, blobs: BlobStore) -> PushedDeployment | None:
    """The last deployment saved in `db` (its code in `blobs`), None if nothing was pushed."""
    tx = db.begin(read_only=True)
    meta = _single(tx, DEPLOYMENT_TABLE)
    if meta is None:
        return None
    udf, auth = _single(tx, UDF_CONFIG_TABLE), _single(tx, AUTH_TABLE)
    if udf is None or auth is None:
        raise CorruptModuleStore("the stored deployment has no UDF config or auth row")
    parts: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for row in tx.rows(SOURCES_TABLE, prefetch=256):
        parts.setdefault((row["sha256"], row["part"]), []).append((int(row["seq"]), row["text"]))

    def text(sha: str, part: str, legacy_part: str, path: str) -> str:
        found = _read_text(blobs, sha, part)
        return found if found is not None else _join(parts, sha, legacy_part, path)

    modules: dict[str, StoredModule] = {}
    analysis: dict[str, Any] = {}
    for row in tx.rows(MODULES_TABLE, prefetch=256):
        path, sha = row["path"], row["sha256"]
        source = text(sha, SOURCE, "source", path)
        source_map = text(sha, SOURCE_MAP, "sourceMap", path) if row["hasSourceMap"] else None
        if module_hash(source, source_map) != sha:
            raise CorruptModuleStore(f"the stored source of {path} does not match its hash")
        modules[path] = StoredModule(source, source_map, row["environment"])
        if row["analyzeResult"] is not None:
            analysis[path] = json.loads(row["analyzeResult"])
    schema = meta["schema"]
    components = {
        definition_path: _component_from_json(definition_path, raw, blobs)
        for definition_path, raw in json.loads(meta.get("components") or "{}").items()
    }
    return PushedDeployment(
        version=meta["version"],
        functions_dir=meta["functionsDir"],
        modules=modules,
        analysis=analysis,
        schema=None if schema is None else json.loads(schema),
        udf_config=UdfConfig(
            udf["serverVersion"], udf["importPhaseRngSeed"], int(udf["importPhaseUnixTimestamp"])
        ),
        auth=tuple(json.loads(auth["providers"])),
        app_definition=json.loads(meta["appDefinition"]),
        node_version=meta["nodeVersion"],
        node_dependencies=tuple(json.loads(meta.get("nodeDependencies") or "[]")),
        components=components,
    )


def _component_to_json(code: ComponentCode) -> dict[str, Any]:
    return {
        "definition": code.definition,
        "schema": code.schema,
        "analysis": code.analysis,
        "modules": {
            path: {"sha256": m.hash, "hasSourceMap": m.source_map is not None}
            for path, m in code.modules.items()
        },
    }


def _component_from_json(definition_path: str, raw: Any, blobs: BlobStore) -> ComponentCode:
    modules = {}
    for path, stored in raw["modules"].items():
        sha = stored["sha256"]
        source = _read_text(blobs, sha, SOURCE)
        source_map = _read_text(blobs, sha, SOURCE_MAP) if stored["hasSourceMap"] else None
        if source is None or module_hash(source, source_map) != sha:
            raise CorruptModuleStore(
                f"the stored source of {path} of component {definition_path} is missing or "
                "does not match its hash"
            )
        modules[path] = ModuleConfig(path, source, source_map, "isolate")
    return ComponentCode(
        definition_path, raw["definition"], modules, raw["analysis"], raw["schema"]
    )


def _join(
    parts: dict[tuple[str, str], list[tuple[int, str]]], sha: str, part: str, path: str
) -> str:
    chunks = sorted(parts.get((sha, part), []))
    if [seq for seq, _ in chunks] != list(range(len(chunks))) or not chunks:
        raise CorruptModuleStore(f"the stored {part} of {path} is incomplete")
    return "".join(text for _, text in chunks)


def mounted_instances(deployment: PushedDeployment) -> list[components.Mounted]:
    """The root and every instance of `deployment`'s tree, as `_components` records them."""
    prefixes = http_mounts(deployment.app_definition)
    return [
        components.Mounted("", None, ""),
        *(
            components.Mounted(i.path, i.name, i.definition_path, i.args, prefixes.get(i.path))
            for i in deployment.instances
        ),
    ]


def save(
    db: Database,
    blobs: BlobStore,
    deployment: PushedDeployment,
    audit: dict[str, Any] | None = None,
) -> int:
    """Make `deployment` the stored active one: its code into `blobs`, then its rows in one
    transaction, with the `push_config_with_components` audit event `audit` if given;
    returns the commit ts. Blobs no longer used are deleted afterwards.

    Raises `OptimisticConcurrencyControlFailure` if another save committed meanwhile.
    """
    wanted: dict[str, StoredModule | ModuleConfig] = {
        module_hash(m.source, m.source_map): m for m in deployment.modules.values()
    }
    for code in deployment.components.values():
        wanted.update((m.hash, m) for m in code.modules.values())
    present = set(blobs.keys())
    for sha, module in wanted.items():
        texts = [(SOURCE, module.source)]
        if module.source_map is not None:
            texts.append((SOURCE_MAP, module.source_map))
        for part, text in texts:
            if _blob_key(sha, part) not in present:
                blobs.put(_blob_key(sha, part), text.encode("utf-8"))
    tx = db.begin()
    for table in (SOURCES_TABLE, MODULES_TABLE, UDF_CONFIG_TABLE, AUTH_TABLE, DEPLOYMENT_TABLE):
        for row in list(tx.rows(table, prefetch=256)):
            tx.delete(row["_id"])
    for path, module in sorted(deployment.modules.items()):
        analyzed = deployment.analysis.get(path)
        tx.insert(
            MODULES_TABLE,
            {
                "path": path,
                "environment": module.environment,
                "sha256": module_hash(module.source, module.source_map),
                "hasSourceMap": module.source_map is not None,
                "analyzeResult": None if analyzed is None else json.dumps(analyzed, default=dict),
            },
        )
    udf = deployment.udf_config
    tx.insert(
        UDF_CONFIG_TABLE,
        {
            "serverVersion": udf.server_version,
            "importPhaseRngSeed": udf.import_phase_rng_seed,
            "importPhaseUnixTimestamp": Int64(udf.import_phase_unix_timestamp),
        },
    )
    tx.insert(AUTH_TABLE, {"providers": json.dumps(list(deployment.auth), default=dict)})
    tx.insert(
        DEPLOYMENT_TABLE,
        {
            "version": deployment.version,
            "functionsDir": deployment.functions_dir,
            "appDefinition": json.dumps(deployment.app_definition, default=dict),
            "schema": None
            if deployment.schema is None
            else json.dumps(deployment.schema, default=dict),
            "nodeVersion": deployment.node_version,
            "nodeDependencies": json.dumps([dict(d) for d in deployment.node_dependencies]),
            "components": json.dumps(
                {path: _component_to_json(c) for path, c in deployment.components.items()},
                default=dict,
            ),
        },
    )
    components.mount(tx, mounted_instances(deployment))
    if audit is not None:
        audit_log.record(tx, "push_config_with_components", audit)
    ts = db.commit(tx)
    for key in present:
        if key.partition("-")[0] not in wanted:
            blobs.delete(key)
    return ts
