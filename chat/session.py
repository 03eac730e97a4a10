"""Per-browser-session state and the store that expires idle sessions."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Session:
    """Everything one person has: their team, memory, tickets, stop switch.

    `extras` holds per-session domain objects (trading desk, paper account,
    ...) created on first use by the module that owns them.
    """

    id: str
    user: str | None = None
    workspace: str | None = None  # the person's lasting workspace id (set by the workspace layer)
    conversation: str | None = None  # the open conversation of that workspace (None: the next message starts one)
    created: float = field(default_factory=time.time)
    last_seen: float = field(default_factory=time.time)
    team: Any = None
    running: Any = None  # the TurnRun in progress, if any
    last_run: Any = None  # chat.runner.TurnRun of the last turn (its thread may still be finishing)
    earlier_turns: list = field(default_factory=list)  # a reopened conversation's turns, to seed the next team
    inference: Any = None  # core.settings.Secret: the visitor's own HF token the team was built with (None: owner's)
    workspace_via: Any = None  # how the workspace was bound: ("user", name) | ("header", key) | ("browser", key)
    workspace_key: str | None = None  # the workspace key shown to this tab (never stored server-side)
    time_zone: str | None = None  # the browser's IANA zone (e.g. "Asia/Tokyo"), for times shown in widget labels
    extras: dict[str, Any] = field(default_factory=dict)  # domain objects made on first use (e.g. the strategy lab)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def workspace_id(self) -> str:
        """Whose data this session sees: its workspace, else (a session no workspace was bound to, as in tests)
        `session:<id>`, a name no workspace id has, so a client choosing its session id never reaches a workspace."""
        return self.workspace or f"session:{self.id}"

    def touch(self) -> None:
        self.last_seen = time.time()

    def bind_workspace(self, workspace_id: str, via: Any, key: str | None) -> None:
        """Work in `workspace_id` from now on (opened `via` a name, a key or the browser); another workspace than
        before closes the open conversation and the team (they belong to the old one)."""
        with self.lock:
            if self.workspace != workspace_id:
                self.workspace, self.conversation, self.team = workspace_id, None, None
            self.workspace_via = via
            self.workspace_key = key

    def unbind_workspace(self, *, keep_key: bool = False) -> None:
        """The workspace was deleted: no workspace, conversation or team until one is bound again."""
        with self.lock:
            self.workspace, self.conversation, self.team = None, None, None
            self.workspace_via = None
            if not keep_key:
                self.workspace_key = None

    def open_conversation(self, conversation_id: str | None) -> None:
        """Continue `conversation_id` (None: the next message starts one); the team is rebuilt with its turns."""
        with self.lock:
            self.conversation, self.team = conversation_id, None

    def extra(self, key: str, factory: Callable[[], Any]) -> Any:
        """The per-session object under `key`, created by `factory` on first use."""
        with self.lock:
            if key not in self.extras:
                self.extras[key] = factory()
            return self.extras[key]

    def stop(self) -> bool:
        """Interrupt the running turn, if any. True when something was running."""
        run = self.running
        if run is None:
            return False
        run.stop()
        return True

    def close(self) -> None:
        self.stop()
        for value in list(self.extras.values()):
            closer = getattr(value, "close", None)
            if callable(closer):
                try:
                    closer()
                except Exception:
                    pass
        self.extras.clear()
        closer = getattr(self.team, "close", None)
        if callable(closer):
            closer()  # the team's code workers end with the session
        self.team = None


class SessionStore:
    """Sessions by id; idle ones expire after `idle_seconds` and are closed."""

    def __init__(self, idle_seconds: float):
        self.idle_seconds = idle_seconds
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._stop_sweeping = threading.Event()

    def get(self, session_id: str | None, user: str | None = None) -> Session:
        self.expire_idle()
        session_id = session_id or uuid.uuid4().hex
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                session = self._sessions[session_id] = Session(id=session_id, user=user)
        if user and session.user != user:
            session.user = user
        session.touch()
        return session

    def drop(self, session_id: str) -> None:
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is not None:
            session.close()

    def expire_idle(self, now: float | None = None) -> list[str]:
        now = time.time() if now is None else now
        with self._lock:
            stale = [
                sid
                for sid, s in self._sessions.items()
                if now - s.last_seen > self.idle_seconds and s.running is None
            ]
            dropped = [self._sessions.pop(sid) for sid in stale]
        for session in dropped:
            session.close()
        return stale

    def start_sweeper(self, interval_s: float = 60.0) -> threading.Thread:
        """A daemon thread that expires idle sessions every `interval_s` seconds."""

        def sweep():
            while not self._stop_sweeping.wait(interval_s):
                self.expire_idle()

        thread = threading.Thread(target=sweep, name="session-sweeper", daemon=True)
        thread.start()
        return thread

    def stop_sweeper(self) -> None:
        self._stop_sweeping.set()

    def __len__(self) -> int:
        return len(self._sessions)

    def __contains__(self, session_id: str) -> bool:
        return session_id in self._sessions
