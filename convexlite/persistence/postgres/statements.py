"""Every SQL statement of the Postgres backend, in upstream's `postgres-v5` layout."""

from __future__ import annotations

from convexlite.persistence.sql.log_pages import log_page_queries
from convexlite.persistence.types import Order

# pg_try_advisory_lock(int, int) keys ("conv", "lite"); advisory locks are per database.
LOCK_KEY = (0x636F6E76, 0x6C697465)

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
  id BYTEA NOT NULL, ts BIGINT NOT NULL, table_id BYTEA NOT NULL,
  json_value BYTEA NOT NULL, deleted BOOLEAN DEFAULT false, prev_ts BIGINT,
  CONSTRAINT documents_pkey PRIMARY KEY (ts, table_id, id));
CREATE INDEX IF NOT EXISTS documents_by_table_and_id ON documents (table_id, id, ts);
CREATE INDEX IF NOT EXISTS documents_by_table_ts_and_id ON documents (table_id, ts, id);
CREATE TABLE IF NOT EXISTS indexes (
  index_id BYTEA NOT NULL, ts BIGINT NOT NULL, key_prefix BYTEA NOT NULL,
  key_suffix BYTEA NULL, key_sha256 BYTEA NOT NULL, deleted BOOLEAN,
  table_id BYTEA NULL, document_id BYTEA NULL,
  CONSTRAINT indexes_pkey PRIMARY KEY (index_id, key_sha256, ts));
CREATE INDEX IF NOT EXISTS indexes_by_index_id_key_prefix_key_sha256
  ON indexes (index_id, key_prefix, key_sha256);
CREATE TABLE IF NOT EXISTS leases (id BIGINT NOT NULL PRIMARY KEY, ts BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS read_only (id BIGINT NOT NULL PRIMARY KEY);
CREATE TABLE IF NOT EXISTS persistence_globals (
  key TEXT NOT NULL PRIMARY KEY, json_value BYTEA NOT NULL);
"""
SCHEMA_RELATIONS = (
    "documents",
    "documents_by_table_and_id",
    "documents_by_table_ts_and_id",
    "indexes",
    "indexes_by_index_id_key_prefix_key_sha256",
    "leases",
    "read_only",
    "persistence_globals",
)
SCHEMA_PRESENT_SQL = "SELECT " + ", ".join(
    f"to_regclass('{name}') IS NOT NULL" for name in SCHEMA_RELATIONS
)
SEED_LEASE_SQL = "INSERT INTO leases (id, ts) VALUES (1, 0) ON CONFLICT DO NOTHING"
READ_ONLY_SQL = "SELECT 1 FROM read_only LIMIT 1"
TAKE_LEASE_SQL = "UPDATE leases SET ts = %s WHERE id = 1 AND ts < %s RETURNING ts"
FORCE_LEASE_SQL = "UPDATE leases SET ts = GREATEST(ts + 1, %s) WHERE id = 1 RETURNING ts"
LEASE_TS_SQL = "SELECT ts FROM leases WHERE id = 1"
FLUSH_SQL = "UPDATE leases SET ts = ts WHERE id = 1 AND ts = %s RETURNING ts"
TRY_LOCK_SQL = "SELECT pg_try_advisory_lock(%s, %s)"
UNLOCK_SQL = "SELECT pg_advisory_unlock(%s, %s)"
LOCK_HOLDER_SQL = """
SELECT l.pid, a.application_name, host(a.client_addr), a.backend_start
FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
  AND l.classid = %s AND l.objid = %s
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""

WRITE_SQL = """
WITH lease AS MATERIALIZED (
  SELECT 1 FROM leases WHERE id = 1 AND ts = %(lease)b FOR SHARE),
new_documents AS (
  INSERT INTO documents (id, ts, table_id, json_value, deleted, prev_ts)
  SELECT * FROM unnest(%(d_id)b::bytea[], %(d_ts)b::bigint[], %(d_table)b::bytea[],
                       %(d_json)b::bytea[], %(d_deleted)b::boolean[], %(d_prev)b::bigint[])
  WHERE EXISTS (SELECT FROM lease)),
new_indexes AS (
  INSERT INTO indexes (index_id, ts, key_prefix, key_suffix, key_sha256, deleted,
                       table_id, document_id)
  SELECT * FROM unnest(%(i_id)b::bytea[], %(i_ts)b::bigint[], %(i_prefix)b::bytea[],
                       %(i_suffix)b::bytea[], %(i_sha)b::bytea[], %(i_deleted)b::boolean[],
                       %(i_table)b::bytea[], %(i_doc)b::bytea[])
  WHERE EXISTS (SELECT FROM lease)),
new_globals AS (
  INSERT INTO persistence_globals (key, json_value)
  SELECT * FROM unnest(%(g_key)b::text[], %(g_json)b::bytea[])
  WHERE EXISTS (SELECT FROM lease)
  ON CONFLICT (key) DO UPDATE SET json_value = excluded.json_value)
SELECT count(*) FROM lease
"""

# Deletes the rows of a write whose reply was lost (persistence/sql/commit_outcome.py).
UNDO_SQL = """
WITH d(ts, table_id, id) AS (
  SELECT * FROM unnest(%(d_ts)b::bigint[], %(d_table)b::bytea[], %(d_id)b::bytea[])),
i(index_id, key_sha256, ts) AS (
  SELECT * FROM unnest(%(i_id)b::bytea[], %(i_sha)b::bytea[], %(i_ts)b::bigint[])),
gone AS (DELETE FROM documents WHERE (ts, table_id, id) IN (SELECT * FROM d))
DELETE FROM indexes WHERE (index_id, key_sha256, ts) IN (SELECT * FROM i)
"""

# Retention's batch (Persistence.delete): rows by primary key and its cursor globals, under
# the lease, in one statement; the counts say how many rows were there to delete.
DELETE_SQL = """
WITH lease AS MATERIALIZED (
  SELECT 1 FROM leases WHERE id = 1 AND ts = %(lease)b FOR SHARE),
gone_documents AS (
  DELETE FROM documents WHERE (ts, table_id, id) IN (
    SELECT * FROM unnest(%(d_ts)b::bigint[], %(d_table)b::bytea[], %(d_id)b::bytea[]))
  AND EXISTS (SELECT FROM lease) RETURNING 1),
gone_indexes AS (
  DELETE FROM indexes WHERE (index_id, key_sha256, ts) IN (
    SELECT * FROM unnest(%(i_id)b::bytea[], %(i_sha)b::bytea[], %(i_ts)b::bigint[]))
  AND EXISTS (SELECT FROM lease) RETURNING 1),
new_globals AS (
  INSERT INTO persistence_globals (key, json_value)
  SELECT * FROM unnest(%(g_key)b::text[], %(g_json)b::bytea[])
  WHERE EXISTS (SELECT FROM lease)
  ON CONFLICT (key) DO UPDATE SET json_value = excluded.json_value)
SELECT (SELECT count(*) FROM lease), (SELECT count(*) FROM gone_documents),
       (SELECT count(*) FROM gone_indexes)
"""

PURGE_INDEX_SQL = """
WITH lease AS MATERIALIZED (
  SELECT 1 FROM leases WHERE id = 1 AND ts = %(lease)b FOR SHARE),
gone AS (
  DELETE FROM indexes WHERE ctid IN (
    SELECT ctid FROM indexes WHERE index_id = %(index_id)b LIMIT %(limit)b)
  AND EXISTS (SELECT FROM lease) RETURNING 1)
SELECT (SELECT count(*) FROM lease), (SELECT count(*) FROM gone)
"""

DOCUMENT_EXISTS_SQL = "SELECT 1 FROM documents WHERE ts = %b AND table_id = %b AND id = %b"
INDEX_ENTRY_EXISTS_SQL = "SELECT 1 FROM indexes WHERE index_id = %b AND key_sha256 = %b AND ts = %b"
GET_DOCUMENT_SQL = (
    "SELECT ts, json_value, deleted, prev_ts FROM documents "
    "WHERE table_id = %b AND id = %b AND ts <= %b ORDER BY ts DESC LIMIT 1"
)
MAX_TS_SQL = "SELECT max(ts) FROM documents"
GET_GLOBAL_SQL = "SELECT json_value FROM persistence_globals WHERE key = %b"

LOAD_DOCUMENTS_SQL = log_page_queries(
    "SELECT ts, table_id, id, json_value, deleted, prev_ts FROM documents ", "%b"
)


def _scan_sql(order: Order, lower: str, upper: str | None) -> str:
    """Newest entry at or below ts of each distinct key, in (key_prefix, key_sha256) order.

    The inner query walks the secondary index in its own order and stops after
    `limit` keys (a GROUP BY over presorted rows needs no sort, unlike
    DISTINCT ON with `ts DESC`); the newest entry is then fetched by primary
    key. `lower` and `upper` are the comparison operators of the bounds; the
    continuation of a page replaces the bound on the side it walks towards.
    """
    direction = "ASC" if order == "asc" else "DESC"
    where = (
        "index_id = %(index_id)b AND ts <= %(ts)b "
        f"AND (key_prefix, key_sha256) {lower} (%(lo_prefix)b, %(lo_hash)b)"
    )
    if upper is not None:
        where += f" AND (key_prefix, key_sha256) {upper} (%(hi_prefix)b, %(hi_hash)b)"
    return (
        "SELECT m.key_prefix, m.key_sha256, i.key_suffix, i.ts, i.deleted, i.table_id, "
        "i.document_id, d.ts, d.json_value, d.deleted, d.prev_ts "
        "FROM (SELECT key_prefix, key_sha256, max(ts) AS mts FROM indexes "
        f"WHERE {where} GROUP BY key_prefix, key_sha256 "
        f"ORDER BY key_prefix {direction}, key_sha256 {direction} LIMIT %(limit)b) m "
        "JOIN indexes i ON i.index_id = %(index_id)b AND i.key_sha256 = m.key_sha256 "
        "AND i.ts = m.mts "
        "LEFT JOIN documents d ON d.ts = i.ts AND d.table_id = i.table_id "
        "AND d.id = i.document_id "
        f"ORDER BY m.key_prefix {direction}, m.key_sha256 {direction}"
    )


INDEX_SCAN_SQL: dict[tuple[Order, str, str | None], str] = {
    (order, lower, upper): _scan_sql(order, lower, upper)
    for order in ("asc", "desc")
    for lower in (">=", ">")
    for upper in (None, "<=", "<")
}
