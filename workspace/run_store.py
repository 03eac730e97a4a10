"""Runs of the plain-HTTP API kept in the database (DATA_DIR/runs.sqlite3, or the shared PostgreSQL database with
DATABASE_URL), per workspace, across restarts and replicas.

On PostgreSQL any replica can read a run (its owner saves the items as they stream) and ask it to stop (a flag on
the row that the owner polls); a run whose owner stopped beating for `STALE_S` ends failed."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.db import Database

RUNS_DB = "runs.sqlite3"  # in DATA_DIR (or the DATABASE_URL's database)

QUEUED, RUNNING, DONE, FAILED, STOPPED = "queued", "running", "done", "failed", "stopped"
FINISHED = (DONE, FAILED, STOPPED)
RESTART_NOTE = "The app restarted before this run finished."

STALE_NOTE = "The replica running this run stopped before it finished."


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
    """Every read and write names the workspace, so one workspace never sees another's runs."""

    COLUMNS = "id, workspace, message, status, items, answer, error, created, updated"
    STALE_S = 60.0  # a shared database: an unfinished run whose owner has not written for this long ended with it

    def __init__(self, path: str | Path, keep_per_workspace: int = 200):
        self.path = path if "://" in str(path) else Path(path)
        self.keep = keep_per_workspace
        self.db = Database(path)  # WAL, synchronous=NORMAL on SQLite
        self.shared = self.db.is_postgres
        if not self.shared:  # one process: runs cut short by a restart end as failed, with a note saying so
            with self.db.tx() as cur:
                cur.execute("UPDATE runs SET status = ?, error = ? WHERE status IN (?, ?)",
                            (FAILED, RESTART_NOTE, QUEUED, RUNNING))
        else:
            self.fail_stale(time.time())

    def save(self, run: RunRecord) -> None:
        row = (run.id, run.workspace, run.message, run.status, json.dumps(run.items), run.answer, run.error,
               run.created, run.updated)
        with self.db.tx() as cur:
            cur.execute(f"INSERT INTO runs ({self.COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) "
                        "DO UPDATE SET status = excluded.status, items = excluded.items, answer = excluded.answer, "
                        "error = excluded.error, updated = excluded.updated", row)
            if run.finished:
                cur.execute(
                    "DELETE FROM runs WHERE workspace = ? AND id NOT IN "
                    "(SELECT id FROM runs WHERE workspace = ? ORDER BY created DESC LIMIT ?)",
                    (run.workspace, run.workspace, self.keep))

    def get(self, workspace: str, run_id: str) -> RunRecord | None:
        row = self.db.one(f"SELECT {self.COLUMNS} FROM runs WHERE workspace = ? AND id = ?", (workspace, run_id))
        return _record(row) if row else None

    def recent(self, workspace: str, limit: int = 20) -> list[RunRecord]:
        rows = self.db.read(f"SELECT {self.COLUMNS} FROM runs WHERE workspace = ? ORDER BY created DESC LIMIT ?",
                            (workspace, limit))
        return [_record(row) for row in rows]

    # --- across replicas ----------------------------------------------------------------------
    def request_stop(self, workspace: str, run_id: str) -> bool:
        """Flag an unfinished run to stop (its owner, on whichever replica, polls the flag); False when it is
        unknown or finished."""
        with self.db.tx() as cur:
            return cur.execute("UPDATE runs SET stop_requested = 1 WHERE workspace = ? AND id = ? AND status IN "
                               "(?, ?)", (workspace, run_id, QUEUED, RUNNING)).rowcount == 1

    def stops_requested(self, run_ids: list[str]) -> list[str]:
        if not run_ids:
            return []
        marks = ",".join("?" * len(run_ids))
        return [r[0] for r in self.db.read(f"SELECT id FROM runs WHERE stop_requested = 1 AND id IN ({marks})",
                                           tuple(run_ids))]

    def beat(self, run_ids: list[str], now: float) -> None:
        """The owner is alive: its unfinished runs' `updated` moves on."""
        if run_ids:
            marks = ",".join("?" * len(run_ids))
            with self.db.tx() as cur:
                cur.execute(f"UPDATE runs SET updated = ? WHERE id IN ({marks}) AND status IN (?, ?)",
                            (now, *run_ids, QUEUED, RUNNING))

    def fail_stale(self, now: float) -> int:
        """Unfinished runs whose owner stopped beating end failed, saying so (how many)."""
        with self.db.tx() as cur:
            return cur.execute("UPDATE runs SET status = ?, error = ?, updated = ? WHERE status IN (?, ?) "
                               "AND updated < ?", (FAILED, STALE_NOTE, now, QUEUED, RUNNING,
                                                   now - self.STALE_S)).rowcount

    def delete_workspace(self, workspace: str) -> None:
        """Every stored run of a workspace (it was deleted, by its person or as idle)."""
        with self.db.tx() as cur:
            cur.execute("DELETE FROM runs WHERE workspace = ?", (workspace,))

    def close(self) -> None:
        self.db.close()


def _record(row) -> RunRecord:
    run_id, workspace, message, status, items, answer, error, created, updated = row
    return RunRecord(run_id, workspace, message, status, json.loads(items), answer, error, created, updated)
