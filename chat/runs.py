"""Runs for the plain-HTTP API: a message handed to the chat service in the background, polled by id.

A run is one `ChatService.respond(session, message)` (so it has the chat's limits, slash commands and
safety: no order runs without its ticket being confirmed by id, with the desk's access checks), done
in its own thread: it continues when the client disconnects. Runs of one workspace go one at a time
(a session has one turn at a time) and wait as "queued"; finished runs are kept in `RunStore`.

With a shared database (PostgreSQL, several replicas) a run is read and stopped from any replica: its owner saves
the items as they stream (at most every `SAVE_EVERY_S`), polls the stop flag another replica may set, and beats,
so a run whose replica died ends failed instead of running forever.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from core.errors import UserError
from workspace.run_store import DONE, FAILED, QUEUED, RUNNING, STOPPED, RunRecord, RunStore

log = logging.getLogger(__name__)
ANSWER_KINDS = ("text", "notice", "ticket")
SAVE_EVERY_S = 0.5  # a shared database: how stale a run read from another replica may be
POLL_S = 0.5  # a shared database: how often the owner looks for a stop asked on another replica
BEAT_S = 10.0  # a shared database: how often the owner says its runs are alive


class RunRefused(UserError):
    """This workspace already has as many unfinished runs as allowed."""


def outcome(items: list[dict], stopped: bool) -> tuple[str, str | None, str | None]:
    """(status, answer, error) of a run from its final chat items (as JSON)."""
    if stopped or any(item.get("metadata", {}).get("id") == "stopped" for item in items):
        return STOPPED, None, None
    finals = [item["content"] for item in items if item["kind"] == "final"]
    errors = [item["content"] for item in items if item["kind"] == "error"]
    if finals:
        return DONE, finals[-1], None
    if errors:
        return FAILED, None, errors[-1]
    answer = "\n\n".join(item["content"] for item in items if item["kind"] in ANSWER_KINDS and item["content"])
    return DONE, answer or None, None


class RunRegistry:
    """Starts, tracks and stops the runs of every workspace."""

    def __init__(self, chat: Any, store: RunStore, session_of: Callable[[str], Any], *, max_queued: int = 3,
                 max_running: int = 32, clock: Callable[[], float] = time.time):
        self.chat = chat
        self.store = store
        self.session_of = session_of  # workspace key -> Session
        self.max_queued = max_queued
        self._clock = clock
        self._slots = threading.BoundedSemaphore(max_running)
        self._lock = threading.Lock()
        self._live: dict[str, RunRecord] = {}  # unfinished runs by id
        self._stop_requested: set[str] = set()
        self._sessions: dict[str, Any] = {}  # run id -> the session it runs in, while running
        self._workspace_locks: dict[str, threading.Lock] = {}
        self._closed = threading.Event()
        if getattr(store, "shared", False):
            threading.Thread(target=self._poll_shared, name="runs-poller", daemon=True).start()

    # --- the API's three operations -------------------------------------------------------
    def submit(self, workspace: str, message: str) -> RunRecord:
        now = self._clock()
        with self._lock:
            if sum(1 for run in self._live.values() if run.workspace == workspace) >= self.max_queued:
                raise RunRefused(f"This workspace already has {self.max_queued} unfinished runs; wait for one "
                                 "to finish or stop one first.")
            run = RunRecord(id=uuid.uuid4().hex, workspace=workspace, message=str(message), created=now, updated=now)
            self._live[run.id] = run
            workspace_lock = self._workspace_locks.setdefault(workspace, threading.Lock())
        self.store.save(run)
        accepted = dataclasses.replace(run)
        threading.Thread(target=self._work, args=(run, workspace_lock), name=f"run-{run.id[:8]}",
                         daemon=True).start()
        return accepted

    def get(self, workspace: str, run_id: str) -> RunRecord | None:
        """The run `run_id` of `workspace` (None when unknown or another workspace's)."""
        with self._lock:
            run = self._live.get(run_id)
            if run is not None:
                return dataclasses.replace(run, items=list(run.items)) if run.workspace == workspace else None
        return self.store.get(workspace, run_id)

    def recent(self, workspace: str, limit: int = 20) -> list[RunRecord]:
        with self._lock:
            live = [dataclasses.replace(r) for r in self._live.values() if r.workspace == workspace]
        stored = [r for r in self.store.recent(workspace, limit) if r.id not in {x.id for x in live}]
        return sorted(live + stored, key=lambda r: r.created, reverse=True)[:limit]

    def stop(self, workspace: str, run_id: str) -> RunRecord | None:
        """Ask the run to stop (a queued run never starts); a finished run is returned as it is."""
        with self._lock:
            run = self._live.get(run_id)
            if run is None or run.workspace != workspace:
                session = None
                if run is None and getattr(self.store, "shared", False):
                    self.store.request_stop(workspace, run_id)  # another replica runs it: it polls the flag
            else:
                self._stop_requested.add(run_id)
                session = self._sessions.get(run_id)
        if session is not None:
            self.chat.stop(session)
        return self.get(workspace, run_id)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            live = [(run.workspace, run.id) for run in self._live.values()]
        for workspace, run_id in live:
            self.stop(workspace, run_id)

    # --- the run's thread ---------------------------------------------------------------------
    def _stopping(self, run_id: str) -> bool:
        with self._lock:
            return run_id in self._stop_requested

    def _update(self, run: RunRecord, **changes: Any) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(run, key, value)
            run.updated = self._clock()

    def _work(self, run: RunRecord, workspace_lock: threading.Lock) -> None:
        items: list[dict] = []
        error: str | None = None
        try:
            with workspace_lock, self._slots:
                if self._stopping(run.id):
                    return
                session = self.session_of(run.workspace)
                with self._lock:
                    self._sessions[run.id] = session
                self._update(run, status=RUNNING)
                self.store.save(run)
                shared, saved = getattr(self.store, "shared", False), self._clock()
                for snapshot in self.chat.respond(session, run.message):
                    items = [item.to_json() for item in snapshot]
                    self._update(run, items=items)
                    if shared and self._clock() - saved >= SAVE_EVERY_S:  # other replicas read it from the store
                        with self._lock:
                            copy = dataclasses.replace(run, items=list(run.items))
                        self.store.save(copy)
                        saved = self._clock()
                    if self._stopping(run.id):
                        self.chat.stop(session)  # again: the turn may have started after the first request
        except Exception as exc:  # our bug or a library's: the run ends failed and says why
            error = f"The run failed: {type(exc).__name__}: {exc}"
        finally:
            status, answer, problem = outcome(items, self._stopping(run.id))
            if error:
                status, answer, problem = FAILED, None, error
            self._update(run, status=status, answer=answer, error=problem)
            self.store.save(run)
            with self._lock:
                self._live.pop(run.id, None)
                self._sessions.pop(run.id, None)
                self._stop_requested.discard(run.id)

    def _poll_shared(self) -> None:
        """Stops asked on other replicas reach this one's runs; beats keep them from being taken for dead."""
        beaten = 0.0
        while not self._closed.wait(POLL_S):
            try:
                with self._lock:
                    live = [(run.workspace, run.id) for run in self._live.values()]
                ids = [run_id for _, run_id in live]
                for run_id in self.store.stops_requested(ids):
                    workspace = next(w for w, r in live if r == run_id)
                    self.stop(workspace, run_id)
                if time.time() - beaten >= BEAT_S:
                    beaten = time.time()
                    self.store.beat(ids, self._clock())
                    self.store.fail_stale(self._clock())
            except Exception:  # the database away for a moment: try again at the next poll
                log.warning("run poller: database unavailable", exc_info=True)


__all__ = ["RunRegistry", "RunRefused", "RunRecord", "RunStore", "outcome", "QUEUED", "RUNNING", "DONE", "FAILED",
           "STOPPED"]
