"""Snapshot export and import in upstream's ZIP format (spec/database.md §8): the way to back
up a deployment, move it between SQLite, Postgres and MySQL, and load data in bulk."""
