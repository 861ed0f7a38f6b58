"""The Postgres backend, in upstream Convex's `postgres-v5` layout.

- `connection`: URL, SSL and libpq options of the instance's database;
- `statements`: every SQL statement;
- `store`: `PostgresPersistence`.
"""

from convexlite.persistence.postgres.connection import connection_params, database_name
from convexlite.persistence.postgres.store import PostgresPersistence

__all__ = ["PostgresPersistence", "connection_params", "database_name"]
