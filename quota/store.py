"""Model tokens used per visitor and day, and the per-minute message window, in the database (`core.db`): a SQLite
file in DATA_DIR, or the shared PostgreSQL database with DATABASE_URL, where every replica counts in the same rows."""

from __future__ import annotations

from pathlib import Path

from core.db import Database


class UsageStore:
    """(visitor, UTC day) -> tokens used, and each visitor's recent messages; thread-safe."""

    def __init__(self, path: str | Path):
        # SQLite: WAL, synchronous=NORMAL: a step's charge costs no fsync and survives an app crash
        self.db = Database(path)

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
        and fewer than `limit`, this message is added. One transaction holding the visitor's lock (an advisory
        lock on PostgreSQL, the write lock on SQLite), so replicas admitting at once never both take the last
        place."""
        with self.db.tx(lock=f"rate:{visitor}") as cur:
            cur.execute("DELETE FROM rate_events WHERE visitor = ? AND at <= ?", (visitor, now - window_s))
            times = [r[0] for r in cur.execute("SELECT at FROM rate_events WHERE visitor = ? ORDER BY at",
                                               (visitor,)).fetchall()]
            if count and len(times) < limit:
                cur.execute("INSERT INTO rate_events (visitor, at) VALUES (?, ?)", (visitor, now))
        return times

    def close(self) -> None:
        self.db.close()
