"""What the Postgres and MySQL backends share, so that each rule has one home.

- `naming`: the instance's database name and the default instance name;
- `key_split`: index keys stored as prefix, suffix and hash;
- `key_order`: full-key order restored over a scan in (prefix, hash) order;
- `lease`: the single-writer protocol both servers follow;
- `commit_outcome`: the one policy for a commit whose reply was lost;
- `log_pages`: the keyset-paged document log (SQLite uses it too);
- `rows`: results of statements that always return one row.
"""

from convexlite.persistence.sql.naming import DEFAULT_INSTANCE_NAME, database_name

__all__ = ["DEFAULT_INSTANCE_NAME", "database_name"]
