"""Every SQL statement of the MySQL backend, in upstream's `mysql-v5` layout."""

from __future__ import annotations

from convexlite.persistence.types import Order


class Statements:
    """Every SQL statement, with table names qualified by the instance's database."""

    def __init__(self, database: str, globals_collation: str) -> None:
        db = f"`{database}`"
        self.db = db
        self.schema = [
            f"CREATE TABLE IF NOT EXISTS {db}.documents ("
            " id VARBINARY(32) NOT NULL, ts BIGINT NOT NULL, table_id VARBINARY(32) NOT NULL,"
            " json_value LONGBLOB NOT NULL, deleted BOOLEAN DEFAULT false, prev_ts BIGINT,"
            " PRIMARY KEY (ts, table_id, id),"
            " INDEX documents_by_table_and_id (table_id, id, ts)"
            ") ROW_FORMAT=DYNAMIC",
            f"CREATE TABLE IF NOT EXISTS {db}.indexes ("
            " index_id VARBINARY(32) NOT NULL, ts BIGINT NOT NULL,"
            " key_prefix VARBINARY(2500) NOT NULL, key_suffix LONGBLOB NULL,"
            " key_sha256 BINARY(32) NOT NULL, deleted BOOLEAN,"
            " table_id VARBINARY(32) NULL, document_id VARBINARY(32) NULL,"
            " PRIMARY KEY (index_id, key_prefix, key_sha256, ts)"
            ") ROW_FORMAT=DYNAMIC",
            f"CREATE TABLE IF NOT EXISTS {db}.leases ("
            " id BIGINT NOT NULL, ts BIGINT NOT NULL, PRIMARY KEY (id)"
            ") ROW_FORMAT=DYNAMIC",
            f"CREATE TABLE IF NOT EXISTS {db}.read_only ("
            " id BIGINT NOT NULL, PRIMARY KEY (id)"
            ") ROW_FORMAT=DYNAMIC",
            f"CREATE TABLE IF NOT EXISTS {db}.persistence_globals ("
            f" `key` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {globals_collation} NOT NULL,"
            " json_value LONGBLOB NOT NULL, PRIMARY KEY (`key`)"
            ") ROW_FORMAT=DYNAMIC",
        ]
        self.has_lease = f"SELECT 1 FROM {db}.leases WHERE id = 1"
        self.seed_lease = f"INSERT INTO {db}.leases (id, ts) VALUES (1, 0)"
        self.read_only = f"SELECT 1 FROM {db}.read_only LIMIT 1"
        self.lease_for_update = f"SELECT ts FROM {db}.leases WHERE id = 1 FOR UPDATE"
        self.lease_acquire = f"UPDATE {db}.leases SET ts = %s WHERE id = 1 AND ts < %s"
        # MariaDB 10.11 has no `FOR SHARE`; this older spelling works on both servers.
        self.lease_check = f"SELECT ts FROM {db}.leases WHERE id = 1 LOCK IN SHARE MODE"
        self.lease_read = f"SELECT ts FROM {db}.leases WHERE id = 1"
        self.insert_document = (
            f"INSERT INTO {db}.documents (id, ts, table_id, json_value, deleted, prev_ts) "
            "VALUES (%s, %s, %s, %s, %s, %s)"
        )
        self.insert_index = (
            f"INSERT INTO {db}.indexes (index_id, ts, key_prefix, key_suffix, key_sha256, "
            "deleted, table_id, document_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        )
        self.upsert_global = (
            f"INSERT INTO {db}.persistence_globals (`key`, json_value) VALUES (%s, %s) "
            "ON DUPLICATE KEY UPDATE json_value = VALUES(json_value)"
        )
        # Rows by primary key: the undo of a write whose reply was lost
        # (persistence/sql/commit_outcome.py), and retention's deletes.
        self.delete_document = (
            f"DELETE FROM {db}.documents WHERE ts = %s AND table_id = %s AND id = %s"
        )
        self.delete_index = (
            f"DELETE FROM {db}.indexes WHERE index_id = %s AND key_prefix = %s "
            "AND key_sha256 = %s AND ts = %s"
        )
        self.purge_index = f"DELETE FROM {db}.indexes WHERE index_id = %s LIMIT %s"
        self.document_exists = (
            f"SELECT 1 FROM {db}.documents WHERE ts = %s AND table_id = %s AND id = %s"
        )
        self.index_entry_exists = (
            f"SELECT 1 FROM {db}.indexes WHERE index_id = %s AND key_prefix = %s "
            "AND key_sha256 = %s AND ts = %s"
        )
        self.get_document = (
            f"SELECT ts, json_value, prev_ts FROM {db}.documents "
            "FORCE INDEX (documents_by_table_and_id) "
            "WHERE table_id = %s AND id = %s AND ts <= %s "
            "ORDER BY table_id DESC, id DESC, ts DESC LIMIT 1"
        )
        self.max_ts = f"SELECT MAX(ts) FROM {db}.documents"
        self.get_global = f"SELECT json_value FROM {db}.persistence_globals WHERE `key` = %s"
        log = (
            f"SELECT ts, table_id, id, json_value, prev_ts FROM {db}.documents "
            "FORCE INDEX FOR ORDER BY (PRIMARY) WHERE ts >= %s AND ts <= %s "
        )
        self.load_documents = {
            ("asc", False): log + "ORDER BY ts, table_id, id LIMIT %s",
            ("asc", True): log
            + "AND (ts > %s OR (ts = %s AND (table_id > %s OR (table_id = %s AND id > %s)))) "
            "ORDER BY ts, table_id, id LIMIT %s",
            ("desc", False): log + "ORDER BY ts DESC, table_id DESC, id DESC LIMIT %s",
            ("desc", True): log
            + "AND (ts < %s OR (ts = %s AND (table_id < %s OR (table_id = %s AND id < %s)))) "
            "ORDER BY ts DESC, table_id DESC, id DESC LIMIT %s",
        }
        self._index_scans: dict[tuple[Order, bool, bool | None], str] = {}

    def index_scan(self, order: Order, lower_inclusive: bool, upper_inclusive: bool | None) -> str:
        """The snapshot scan of §4.6 over the (prefix, sha256) primary key.

        The inner query walks the primary key in order and stops after `LIMIT`
        distinct keys; its newest row per key is then joined to its document.
        MariaDB only turns the expanded OR form of a tuple bound into a range
        on the primary key (not `(a, b) >= (x, y)`), and needs the join hints
        to look rows up by primary key instead of hashing.
        `upper_inclusive=None` means no upper bound.

        `MAX(ts + 0)` rather than `MAX(ts)` keeps MariaDB from jumping from
        key to key ("index for group-by"): that plan returns some keys twice
        when the bounds form two ranges (a long upper bound does), and
        backwards it gathers every key of the range into a temporary table
        before applying the LIMIT. Instead a page walks the index in order
        and stops after `LIMIT` keys, reading each one's revisions like
        SQLite does.

        The page comes back unordered and is sorted in Python: sorting the
        joined rows would be a filesort, which also compares no more than
        `max_sort_length` bytes of a key.
        """
        cache_key = (order, lower_inclusive, upper_inclusive)
        sql = self._index_scans.get(cache_key)
        if sql is not None:
            return sql
        db = self.db
        direction = "ASC" if order == "asc" else "DESC"
        where = "index_id = %s AND ts <= %s"
        where += (
            " AND (key_prefix > %s OR (key_prefix = %s AND key_sha256 "
            + (">=" if lower_inclusive else ">")
            + " %s))"
        )
        if upper_inclusive is not None:
            where += (
                " AND (key_prefix < %s OR (key_prefix = %s AND key_sha256 "
                + ("<=" if upper_inclusive else "<")
                + " %s))"
            )
        sql = (
            "SELECT s.key_prefix, i.key_suffix, s.key_sha256, i.ts, i.deleted, "
            "i.table_id, i.document_id, d.json_value, d.prev_ts "
            "FROM (SELECT index_id, key_prefix, key_sha256, MAX(ts + 0) AS mts "
            f"FROM {db}.indexes FORCE INDEX FOR GROUP BY (PRIMARY) WHERE {where} "
            "GROUP BY index_id, key_prefix, key_sha256 "
            f"ORDER BY index_id {direction}, key_prefix {direction}, key_sha256 {direction} "
            "LIMIT %s) s "
            f"LEFT JOIN {db}.indexes i FORCE INDEX FOR JOIN (PRIMARY) "
            "ON i.index_id = s.index_id AND i.key_prefix = s.key_prefix "
            "AND i.key_sha256 = s.key_sha256 AND i.ts = s.mts "
            f"LEFT JOIN {db}.documents d FORCE INDEX FOR JOIN (PRIMARY) "
            "ON d.ts = i.ts AND d.table_id = i.table_id AND d.id = i.document_id"
        )
        self._index_scans[cache_key] = sql
        return sql
