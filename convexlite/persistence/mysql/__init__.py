"""The MySQL and MariaDB backend, in upstream Convex's `mysql-v5` layout.

- `connection`: URL, database and lock names, and which errors mean a lost connection;
- `document_encoding`: the document forms upstream has written;
- `statements`: every SQL statement;
- `store`: `MysqlPersistence`.
"""

from convexlite.persistence.mysql.connection import database_name
from convexlite.persistence.mysql.document_encoding import (
    V1_DICTIONARY,
    decode_document,
    encode_document,
)
from convexlite.persistence.mysql.store import MysqlPersistence

__all__ = [
    "V1_DICTIONARY",
    "MysqlPersistence",
    "database_name",
    "decode_document",
    "encode_document",
]
