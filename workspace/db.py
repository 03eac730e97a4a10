"""The one place that knows the workspace store is SQLite: connections, pragmas, migrations.

Everything above (`workspace.store`) speaks plain SQL through `Database.read()` /
`Database.write()`; swapping this module for a PostgreSQL one (several replicas)
keeps the store's queries (they use `?` placeholders and portable types only).

- WAL journal: readers never wait for a writer, and a `kill -9` leaves the file
  consistent (the last committed transaction is the state; the one in flight is lost).
- `synchronous=NORMAL` in WAL mode: durable against a process crash, and a commit costs
  no fsync (the per-step save budget is 2 ms).
- Foreign keys on, so deleting a workspace deletes its conversations and messages.
- Versioned migrations: `PRAGMA user_version` is the schema version; each migration runs
  once, in its own transaction, at start.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from core import sqlite

# (version, SQL) in order. Never edit a released migration: add the next one.
MIGRATIONS: Sequence[tuple[int, str]] = (
    (1, """
    CREATE TABLE workspaces (
        id TEXT PRIMARY KEY,
        key_hash TEXT UNIQUE,
        username TEXT UNIQUE,
        created_at REAL NOT NULL,
        last_seen REAL NOT NULL
    );
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX conversations_by_workspace ON conversations (workspace_id, updated_at);
    CREATE TABLE messages (
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (conversation_id, seq)
    ) WITHOUT ROWID;
    """),
    (2, """
    ALTER TABLE conversations ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
    UPDATE conversations SET bytes = (SELECT COALESCE(SUM(LENGTH(data)), 0) FROM messages
                                      WHERE messages.conversation_id = conversations.id);
    CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE equity_snapshots (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        day TEXT NOT NULL,
        equity REAL NOT NULL,
        cash REAL NOT NULL,
        observed_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, day)
    ) WITHOUT ROWID;
    """),
    (3, """
    CREATE TABLE lab_entries (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        created_at REAL NOT NULL,
        summary TEXT NOT NULL,
        trades TEXT NOT NULL,
        PRIMARY KEY (workspace_id, number)
    ) WITHOUT ROWID;
    """),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


class Database:
    """One SQLite file, one connection guarded by a lock (SQLite serialises writers anyway)."""

    def __init__(self, path: str | Path, migrations: Sequence[tuple[int, str]] = MIGRATIONS):
        self.path = str(path)
        self._lock = threading.RLock()
        self._conn = sqlite.connect(self.path)
        self.migrate(migrations)

    @property
    def version(self) -> int:
        with self._lock:
            return sqlite.schema_version(self._conn)

    def migrate(self, migrations: Sequence[tuple[int, str]]) -> list[int]:
        """Apply every migration newer than the file's version, each atomically; returns the versions applied."""
        return sqlite.migrate(self._conn, self._lock, migrations)

    def write(self):
        """One atomic write transaction (a context manager giving a cursor)."""
        return sqlite.transaction(self._conn, self._lock)

    def read(self, sql: str, params: Sequence = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence = ()) -> tuple | None:
        rows = self.read(sql, params)
        return rows[0] if rows else None

    def integrity_ok(self) -> bool:
        return self.one("PRAGMA integrity_check") == ("ok",)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def snapshot(source: str | Path, target: str | Path) -> None:
    """A consistent copy of a live SQLite file (SQLite's online backup API): never a half-written page."""
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(str(source), timeout=30)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
