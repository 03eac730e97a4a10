"""Model tokens used per visitor and day in the database (`core.db`: a SQLite file in DATA_DIR, or the shared
PostgreSQL database with DATABASE_URL, where every replica counts in the same rows), and the per-minute message
window: rows of that database on PostgreSQL (one window for every replica), in this process's memory on SQLite (one
process; a restart frees the minute, as it always did)."""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path

from core.db import Database


class UsageStore:
    """(visitor, UTC day) -> tokens used, and each visitor's recent messages; thread-safe."""

    def __init__(self, path: str | Path):
        # SQLite: WAL, synchronous=NORMAL: a step's charge costs no fsync and survives an app crash
        self.db = Database(path)
        self._recent: dict[str, deque[float]] | None = None if self.db.is_postgres else {}
        self._lock = threading.Lock()

    def add(self, visitor: str, day: str, tokens: int) -> int:
        """Add `tokens` to the visitor's day; the day's new total (one statement: replicas never lose a charge)."""
        with self.db.tx() as cur:
            return int(cur.execute(
                "INSERT INTO token_usage (visitor, day, tokens) VALUES (?, ?, ?) ON CONFLICT (visitor, day) "
                "DO UPDATE SET tokens = token_usage.tokens + excluded.tokens RETURNING tokens",
                (visitor, day, int(tokens))).fetchone()[0])

    def used(self, visitor: str, day: str) -> int:
        row = self.db.one("SELECT tokens FROM token_usage WHERE visitor = ? AND day = ?", (visitor, day))
        return int(row[0]) if row else 0

    # --- the per-minute window ----------------------------------------------------------------
    def window(self, visitor: str, now: float, window_s: float, limit: int, *, count: bool) -> list[float]:
        """The visitor's message times in the window ending `now`, oldest first, before this one; when `count`
        and fewer than `limit`, this message is added. On PostgreSQL one transaction holding the visitor's
        advisory lock, so replicas admitting at once never both take the last place."""
        if self._recent is not None:
            with self._lock:
                recent = self._recent.setdefault(visitor, deque())
                while recent and recent[0] <= now - window_s:
                    recent.popleft()
                times = list(recent)
                if count and len(times) < limit:
                    recent.append(now)
            return times
        with self.db.tx(lock=f"rate:{visitor}") as cur:
            cur.execute("DELETE FROM rate_events WHERE visitor = ? AND at <= ?", (visitor, now - window_s))
            times = [r[0] for r in cur.execute("SELECT at FROM rate_events WHERE visitor = ? ORDER BY at",
                                               (visitor,)).fetchall()]
            if count and len(times) < limit:
                cur.execute("INSERT INTO rate_events (visitor, at) VALUES (?, ?)", (visitor, now))
        return times

    def close(self) -> None:
        self.db.close()
