"""Runs of the plain-HTTP API kept in SQLite (DATA_DIR/runs.sqlite3), per workspace, across restarts."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from core import sqlite

QUEUED, RUNNING, DONE, FAILED, STOPPED = "queued", "running", "done", "failed", "stopped"
FINISHED = (DONE, FAILED, STOPPED)
RESTART_NOTE = "The app restarted before this run finished."

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    workspace TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    items TEXT NOT NULL,
    answer TEXT,
    error TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_workspace ON runs (workspace, created);
"""


@dataclass
class RunRecord:
    id: str
    workspace: str
    message: str
    status: str = QUEUED
    items: list[dict] = field(default_factory=list)  # the chat items as the /chat API gives them
    answer: str | None = None
    error: str | None = None
    created: float = 0.0
    updated: float = 0.0

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def view(self) -> dict:
        """The API's JSON for this run (the workspace key is never echoed back)."""
        return {"id": self.id, "status": self.status, "message": self.message, "items": self.items,
                "answer": self.answer, "error": self.error, "created": self.created, "updated": self.updated}


class RunStore:
    """One SQLite file; every read and write names the workspace, so one workspace never sees another's runs."""

    def __init__(self, path: str | Path, keep_per_workspace: int = 200):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.keep = keep_per_workspace
        self._lock = threading.RLock()
        self._db = sqlite.connect(self.path, foreign_keys=False)  # WAL, synchronous=NORMAL: the one SQLite helper
        with sqlite.transaction(self._db, self._lock) as cur:
            for statement in sqlite.statements(SCHEMA):
                cur.execute(statement)
            # runs cut short by a restart end as failed, with a note saying so
            cur.execute("UPDATE runs SET status = ?, error = ? WHERE status IN (?, ?)",
                        (FAILED, RESTART_NOTE, QUEUED, RUNNING))

    def save(self, run: RunRecord) -> None:
        row = (run.id, run.workspace, run.message, run.status, json.dumps(run.items), run.answer, run.error,
               run.created, run.updated)
        with sqlite.transaction(self._db, self._lock) as cur:
            cur.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            if run.finished:
                cur.execute(
                    "DELETE FROM runs WHERE workspace = ? AND id NOT IN "
                    "(SELECT id FROM runs WHERE workspace = ? ORDER BY created DESC LIMIT ?)",
                    (run.workspace, run.workspace, self.keep))

    def get(self, workspace: str, run_id: str) -> RunRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM runs WHERE workspace = ? AND id = ?", (workspace, run_id)).fetchone()
        return _record(row) if row else None

    def recent(self, workspace: str, limit: int = 20) -> list[RunRecord]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM runs WHERE workspace = ? ORDER BY created DESC LIMIT ?",
                                    (workspace, limit)).fetchall()
        return [_record(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _record(row) -> RunRecord:
    run_id, workspace, message, status, items, answer, error, created, updated = row
    return RunRecord(run_id, workspace, message, status, json.loads(items), answer, error, created, updated)
