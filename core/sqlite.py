"""Plain SQLite helpers (WAL, one connection guarded by a lock, atomic transactions, `user_version` migrations)
for local files that stay per process, such as caches of public market data.

The stores (workspaces, the paper ledger and tickets, alerts, runs, usage) do not use this module: they go through
`core.db`, the one database engine (SQLite files by default, one PostgreSQL database with DATABASE_URL).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


def connect(path: str | Path, *, synchronous: str = "NORMAL", rows: bool = False,
            foreign_keys: bool = True, timeout_s: float = 30) -> sqlite3.Connection:
    """A connection in autocommit mode (we BEGIN ourselves), usable from any thread under the caller's lock."""
    path = str(path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None, check_same_thread=False)
    if rows:
        conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    if foreign_keys:
        conn.execute("PRAGMA foreign_keys=ON")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, lock: threading.RLock) -> Iterator[sqlite3.Cursor]:
    """One atomic write transaction under `lock`: all of it lands, or none of it."""
    with lock:
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")


def statements(sql: str) -> list[str]:
    return [part.strip() for part in sql.split(";") if part.strip()]


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, lock: threading.RLock, migrations: Sequence[tuple[int, str]]) -> list[int]:
    """Apply every (version, sql) newer than the file's `user_version`, each atomically; the versions applied."""
    applied = []
    with lock:
        for version, sql in migrations:
            if version <= schema_version(conn):
                continue
            with transaction(conn, lock) as cur:
                for statement in statements(sql):
                    cur.execute(statement)
                cur.execute(f"PRAGMA user_version = {int(version)}")
            applied.append(version)
    return applied
