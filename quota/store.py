"""Model tokens used per visitor and day, in SQLite."""

from __future__ import annotations

import threading
from pathlib import Path

from core import sqlite


class UsageStore:
    """(visitor, UTC day) -> tokens used; thread-safe, one connection."""

    def __init__(self, path: str | Path):
        # WAL, synchronous=NORMAL (the one SQLite helper): a step's charge costs no fsync and survives an app crash
        self._db = sqlite.connect(path, foreign_keys=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS token_usage (visitor TEXT NOT NULL, day TEXT NOT NULL, "
                         "tokens INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (visitor, day))")
        self._lock = threading.Lock()

    def add(self, visitor: str, day: str, tokens: int) -> int:
        """Add `tokens` to the visitor's day; the day's new total."""
        with self._lock:
            self._db.execute("INSERT INTO token_usage (visitor, day, tokens) VALUES (?, ?, ?) "
                             "ON CONFLICT (visitor, day) DO UPDATE SET tokens = tokens + excluded.tokens",
                             (visitor, day, int(tokens)))
            return self._used(visitor, day)

    def used(self, visitor: str, day: str) -> int:
        with self._lock:
            return self._used(visitor, day)

    def _used(self, visitor: str, day: str) -> int:
        row = self._db.execute("SELECT tokens FROM token_usage WHERE visitor = ? AND day = ?",
                               (visitor, day)).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        with self._lock:
            self._db.close()
