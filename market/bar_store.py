"""The persistent cache of daily bars (public market data, shared by every person), in DATA_DIR.

A narrow store: `load` one series, `replace` it, `extend` it with newer bars, `touch` its fetch time. Each bar
keeps the name of the source it came from, so a series refilled from Stooq while Yahoo was failing is never
shown as Yahoo's. One table of bars keyed by (symbol, interval, day) and one row per series saying how far back
it is complete (`covered_from`, NULL: the whole history) and when it was last refreshed. SQLite through
core/sqlite (WAL, one connection under a lock, migrations), like the other stores; only this class touches SQL.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path

from core.sqlite import connect, migrate, transaction

MIGRATIONS = [(1, """
CREATE TABLE IF NOT EXISTS bar_series (
    symbol TEXT NOT NULL, interval TEXT NOT NULL, covered_from TEXT, fetched_at REAL NOT NULL,
    tz TEXT NOT NULL DEFAULT 'America/New_York', PRIMARY KEY (symbol, interval));
CREATE TABLE IF NOT EXISTS bars (
    symbol TEXT NOT NULL, interval TEXT NOT NULL, day TEXT NOT NULL, open REAL, high REAL, low REAL,
    close REAL NOT NULL, volume REAL, dividends REAL NOT NULL DEFAULT 0, splits REAL NOT NULL DEFAULT 0,
    source TEXT NOT NULL, PRIMARY KEY (symbol, interval, day))
""")]
COLUMNS = ("Open", "High", "Low", "Close", "Volume", "Dividends", "Stock Splits")


@dataclass(frozen=True)
class SeriesInfo:
    covered_from: dt.date | None  # complete from this day on (None: from the first bar there is)
    last_day: dt.date
    fetched_at: float  # epoch seconds of the last refresh
    tz: str


class BarStore:
    def __init__(self, path: str | Path):
        self.path = str(path)
        self._lock = threading.RLock()
        self._conn = connect(self.path)
        migrate(self._conn, self._lock, MIGRATIONS)

    def load(self, symbol: str, interval: str = "1d"):
        """(frame with a `source` column, SeriesInfo), or (None, None) when nothing is stored."""
        import pandas as pd

        with self._lock:
            meta = self._conn.execute("SELECT covered_from, fetched_at, tz FROM bar_series WHERE symbol=? AND "
                                      "interval=?", (symbol, interval)).fetchone()
            rows = self._conn.execute("SELECT day, open, high, low, close, volume, dividends, splits, source FROM "
                                      "bars WHERE symbol=? AND interval=? ORDER BY day", (symbol, interval)).fetchall()
        if meta is None or not rows:
            return None, None
        frame = pd.DataFrame([r[1:] for r in rows], columns=[*COLUMNS, "source"],
                             index=pd.DatetimeIndex([pd.Timestamp(r[0]) for r in rows]).tz_localize(meta[2]))
        frame.index.name = "Date"
        covered = dt.date.fromisoformat(meta[0]) if meta[0] else None
        return frame, SeriesInfo(covered, frame.index[-1].date(), float(meta[1]), meta[2])

    def replace(self, symbol: str, interval: str, frame, source: str, *, covered_from: dt.date | None,
                fetched_at: float) -> None:
        """Store `frame` as the whole series (the old bars go: a new adjustment basis replaces them all)."""
        tz = str(getattr(frame.index, "tz", None) or "America/New_York")
        with transaction(self._conn, self._lock) as cur:
            cur.execute("DELETE FROM bars WHERE symbol=? AND interval=?", (symbol, interval))
            self._insert(cur, symbol, interval, frame, source)
            cur.execute("INSERT OR REPLACE INTO bar_series (symbol, interval, covered_from, fetched_at, tz) "
                        "VALUES (?, ?, ?, ?, ?)", (symbol, interval, covered_from.isoformat() if covered_from
                                                   else None, fetched_at, tz))

    def extend(self, symbol: str, interval: str, frame, source: str, *, fetched_at: float) -> None:
        """Add or overwrite the bars of `frame` (the newest days) and mark the series refreshed."""
        with transaction(self._conn, self._lock) as cur:
            self._insert(cur, symbol, interval, frame, source)
            cur.execute("UPDATE bar_series SET fetched_at=? WHERE symbol=? AND interval=?",
                        (fetched_at, symbol, interval))

    def touch(self, symbol: str, interval: str, fetched_at: float) -> None:
        with transaction(self._conn, self._lock) as cur:
            cur.execute("UPDATE bar_series SET fetched_at=? WHERE symbol=? AND interval=?",
                        (fetched_at, symbol, interval))

    @staticmethod
    def _insert(cur, symbol: str, interval: str, frame, source: str) -> None:
        cur.executemany(
            "INSERT OR REPLACE INTO bars (symbol, interval, day, open, high, low, close, volume, dividends, splits, "
            "source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(symbol, interval, stamp.date().isoformat(), *(None if v != v else float(v) for v in values), source)
             for stamp, values in zip(frame.index, frame[list(COLUMNS)].itertuples(index=False, name=None))])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
