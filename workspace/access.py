"""Who opens which workspace: a signed-in name, a browser's key, or an API client's header key."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.db import store_target
from workspace.creation_limit import CreationLimit
from workspace.db import Database
from workspace.store import WorkspaceKeyError, WorkspaceStore

DB_FILE = "workspaces.sqlite3"
HEADER = "X-Smol-Workspace"  # the header an API client sends its workspace key in (any case)
EPHEMERAL_NOTICE = ("⚠️ This Space has no persistent storage: your workspace (conversations, paper account) "
                    "goes away when the Space restarts. Export it to keep a copy.")


@dataclass(frozen=True)
class Opened:
    workspace_id: str
    key: str | None  # the anonymous key to hand back (browser state, /workspace); None for a signed-in person
    notice: str | None = None  # e.g. the browser's old key was not found and a new workspace was started


class Workspaces:
    """The store plus the rules for opening a workspace; `on_delete` hooks remove other features' data too."""

    def __init__(self, store: WorkspaceStore, *, anon_days: float = 30.0, ephemeral: bool = False,
                 creation_limit: CreationLimit | None = None):
        self.store = store
        self.creation_limit = creation_limit  # new anonymous workspaces per address and per day (None: unlimited)
        self.anon_days = anon_days
        self.ephemeral = ephemeral
        self.on_delete: list[Callable[[str], None]] = []

    @classmethod
    def from_settings(cls, settings) -> Workspaces:
        db = Database(store_target(settings, Path(settings.data_dir) / DB_FILE))
        store = WorkspaceStore(db, max_conversations=settings.workspace_max_conversations,
                               max_bytes=int(settings.workspace_max_mb * 1_000_000))
        limit = CreationLimit(settings.anon_workspaces_per_address_day, settings.anon_workspaces_per_day)
        return cls(store, anon_days=settings.anon_workspace_days, ephemeral=settings.data_ephemeral,
                   creation_limit=limit)

    @property
    def notice(self) -> str | None:
        return EPHEMERAL_NOTICE if self.ephemeral else None

    def browser_secret(self) -> str:
        """The `gr.BrowserState` secret of the browser-held key, fixed per database so a restart still reads what
        browsers stored. Not a secret: Gradio serves it in `/config` (the page needs it), so the stored key is as
        readable as plain text to whoever can read that browser's storage: its owner (docs/safety-identity.md)."""
        return self.store.meta("browser_state_secret", lambda: secrets.token_urlsafe(24))

    def open(self, *, user: str | None = None, header_key: str | None = None,
             browser_key: str | None = None, client: str | None = None) -> Opened:
        """A header key must be valid (`WorkspaceKeyError` otherwise); a stale browser key starts a new workspace.
        A new anonymous workspace counts against `client`'s address (`NewWorkspaceRefused` when over the limit)."""
        if user:
            return Opened(self.store.for_user(user), None)
        if header_key:
            return Opened(self.store.resolve_key(header_key.strip()), header_key.strip())
        if browser_key:
            try:
                return Opened(self.store.resolve_key(browser_key), browser_key)
            except WorkspaceKeyError:
                workspace_id, key = self._new_anonymous(client)
                return Opened(workspace_id, key, "Your earlier workspace was not found (removed after being idle, "
                                                 "or deleted); this is a new one.")
        workspace_id, key = self._new_anonymous(client)
        return Opened(workspace_id, key)

    def _new_anonymous(self, client: str | None) -> tuple[str, str]:
        if self.creation_limit is not None:
            self.creation_limit.admit(client)
        return self.store.new_anonymous()

    def delete(self, workspace_id: str) -> None:
        for hook in self.on_delete:
            hook(workspace_id)
        self.store.delete_workspace(workspace_id)

    def remove_idle(self) -> list[str]:
        """Anonymous workspaces idle for longer than ANON_WORKSPACE_DAYS, removed with their data."""
        idle = self.store.idle_anonymous(self.anon_days)
        for workspace_id in idle:
            self.delete(workspace_id)
        return idle

    def close(self) -> None:
        self.store.db.close()
