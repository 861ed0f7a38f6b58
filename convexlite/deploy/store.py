"""The module store: the active `PushedDeployment` in system tables of the database.

Tables (numbers from spec/database.md §1.3 where upstream has one):
- `_modules`: one row per module `{path, environment, sha256, analyzeResult}`
  (`analyzeResult`: AnalyzedModule JSON text, null for `_deps/` chunks);
- `_source_packages`: module text, content-addressed by module hash and split
  into rows of at most `CHUNK_CHARS` characters `{sha256, part, seq, text}`
  (`part`: `source` or `sourceMap`), so a 3 MB bundle stays within the 1 MiB a
  document may hold elsewhere and unchanged modules are never rewritten;
- `_udf_config`: `{serverVersion, importPhaseRngSeed, importPhaseUnixTimestamp}`;
- `_auth`: `{providers}` (AuthInfo JSON text);
- `_deployment`: `{version, functionsDir, appDefinition, schema, nodeVersion}`.

`save` replaces all of it in one transaction, so a crash leaves the old or the
new version, and `load_active` at startup serves the last push.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from convexlite.database.database import Database
from convexlite.database.intervals import Interval
from convexlite.database.metadata import BY_CREATION_TIME
from convexlite.database.transaction import Transaction
from convexlite.deploy.deployment import PushedDeployment, StoredModule, UdfConfig
from convexlite.deploy.modules import module_hash
from convexlite.values import Int64

MODULES_TABLE = "_modules"
SOURCES_TABLE = "_source_packages"
UDF_CONFIG_TABLE = "_udf_config"
AUTH_TABLE = "_auth"
DEPLOYMENT_TABLE = "_deployment"
CHUNK_CHARS = 256 * 1024
"""At most 1 MiB of UTF-8 per row."""


class CorruptModuleStore(Exception):
    """The stored rows do not add up to a deployment (a missing chunk, a missing table)."""


def _rows(tx: Transaction, table_name: str) -> Iterator[dict[str, Any]]:
    table = tx.table(table_name)
    if table is None:
        return
    index = tx.registry.index(table.tablet_id, BY_CREATION_TIME)
    assert index is not None
    for _, doc in tx.scan(index, Interval.all(), "asc", prefetch=256):
        yield doc


def _single(tx: Transaction, table_name: str) -> dict[str, Any] | None:
    rows = list(_rows(tx, table_name))
    if len(rows) > 1:
        raise CorruptModuleStore(f"{table_name} holds {len(rows)} rows instead of one")
    return rows[0] if rows else None


def _chunks(text: str) -> list[str]:
    return [text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)] or [""]


def load_active(db: Database) -> PushedDeployment | None:
    """The last deployment saved in `db`, or None if nothing was ever pushed."""
    tx = db.begin(read_only=True)
    meta = _single(tx, DEPLOYMENT_TABLE)
    if meta is None:
        return None
    udf, auth = _single(tx, UDF_CONFIG_TABLE), _single(tx, AUTH_TABLE)
    if udf is None or auth is None:
        raise CorruptModuleStore("the stored deployment has no UDF config or auth row")
    parts: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for row in _rows(tx, SOURCES_TABLE):
        parts.setdefault((row["sha256"], row["part"]), []).append((int(row["seq"]), row["text"]))
    modules: dict[str, StoredModule] = {}
    analysis: dict[str, Any] = {}
    for row in _rows(tx, MODULES_TABLE):
        path, sha = row["path"], row["sha256"]
        source = _join(parts, sha, "source", path)
        source_map = _join(parts, sha, "sourceMap", path) if row["hasSourceMap"] else None
        if module_hash(source, source_map) != sha:
            raise CorruptModuleStore(f"the stored source of {path} does not match its hash")
        modules[path] = StoredModule(source, source_map, row["environment"])
        if row["analyzeResult"] is not None:
            analysis[path] = json.loads(row["analyzeResult"])
    schema = meta["schema"]
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
    )


def _join(
    parts: dict[tuple[str, str], list[tuple[int, str]]], sha: str, part: str, path: str
) -> str:
    chunks = sorted(parts.get((sha, part), []))
    if [seq for seq, _ in chunks] != list(range(len(chunks))) or not chunks:
        raise CorruptModuleStore(f"the stored {part} of {path} is incomplete")
    return "".join(text for _, text in chunks)


def save(db: Database, deployment: PushedDeployment) -> int:
    """Make `deployment` the stored active one, in one transaction; returns its commit ts.

    Raises `OptimisticConcurrencyControlFailure` if another save committed meanwhile.
    """
    tx = db.begin()
    wanted = {module_hash(m.source, m.source_map): m for m in deployment.modules.values()}
    stored: set[str] = set()
    for row in list(_rows(tx, SOURCES_TABLE)):
        if row["sha256"] in wanted:
            stored.add(row["sha256"])
        else:
            tx.delete(row["_id"])
    for sha, module in wanted.items():
        if sha in stored:
            continue
        texts = [("source", module.source)]
        if module.source_map is not None:
            texts.append(("sourceMap", module.source_map))
        for part, text in texts:
            for seq, chunk in enumerate(_chunks(text)):
                tx.insert(
                    SOURCES_TABLE, {"sha256": sha, "part": part, "seq": Int64(seq), "text": chunk}
                )
    for table in (MODULES_TABLE, UDF_CONFIG_TABLE, AUTH_TABLE, DEPLOYMENT_TABLE):
        for row in list(_rows(tx, table)):
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
        },
    )
    return db.commit(tx)
