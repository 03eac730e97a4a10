"""The workspace store's database: `core.db.Database` (SQLite file in DATA_DIR, or the shared PostgreSQL
database when DATABASE_URL is set), plus a consistent snapshot of a live SQLite file for backups.

The schema lives in the one Alembic history (`core/migrations/`); a file made by an earlier version
(`PRAGMA user_version` 1-3) is upgraded in place when it is opened.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.db import Database

__all__ = ["Database", "snapshot"]


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
