"""The faults a run injects: the clients' connections reset (at the proxy), the server
killed with SIGKILL and started again, and the server's database connections dropped by
the database server itself (Postgres `pg_terminate_backend`, MariaDB `KILL CONNECTION`)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from servers import POSTGRES_URL

from .proxy import Proxy

FAULTS = ("connections", "restart", "database")


def drop_database_connections(backend: str, database: str, pid: int) -> int:
    """Have the database server end every connection of the server process `pid` to
    `database`; returns how many."""
    if backend == "postgres":
        import psycopg

        with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as admin:
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            ).fetchall()
            return len(rows)
    if backend == "mysql":
        import pymysql

        admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", autocommit=True)
        ports = _local_ports(pid)  # the store names its database in its statements: no `db`
        with admin, admin.cursor() as cursor:
            cursor.execute("SELECT id, host FROM information_schema.processlist")
            ids = [id_ for id_, host in cursor.fetchall() if host.rpartition(":")[2] in ports]
            for connection_id in ids:
                with contextlib.suppress(pymysql.err.OperationalError):  # it ended meanwhile
                    cursor.execute(f"KILL CONNECTION {int(connection_id)}")
            return len(ids)
    raise ValueError(f"{backend} has no database server whose connections could drop")


def _local_ports(pid: int) -> set[str]:
    """The local TCP ports of the sockets process `pid` holds (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(str(int(fields[1].rpartition(":")[2], 16)))
    return ports


def inject(fault: str, proxy: Proxy, restart: Callable[[], None], drop: Callable[[], int]) -> str:
    """Inject one fault; returns what was done, for the run's report."""
    if fault == "connections":
        return f"connections: reset {proxy.cut()}"
    if fault == "restart":
        restart()
        return "restart"
    if fault == "database":
        return f"database: dropped {drop()}"
    raise ValueError(f"unknown fault {fault!r}; known: {FAULTS}")
