"""What the Postgres and MySQL backends share, so that each rule has one home.

- `naming`: the instance's database name and the default instance name.
"""

from convexlite.persistence.sql.naming import DEFAULT_INSTANCE_NAME, database_name

__all__ = ["DEFAULT_INSTANCE_NAME", "database_name"]
