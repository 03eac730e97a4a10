"""One trading desk per workspace, shared by every tab and API client of it.

Sharing the desk shares its ticket book: a ticket confirmed in one tab is not
confirmable again in another, and pending tickets still expire. The book is
stored (trading.tickets), so the same holds across a restart or another process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any


class WorkspaceDesks:
    """Desks by key ((workspace id, signed-in name)), built on first use."""

    def __init__(self):
        self._desks: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str | None], build: Callable[[], Any]) -> Any:
        with self._lock:
            desk = self._desks.get(key)
            if desk is None:
                desk = self._desks[key] = build()
            return desk

    @contextmanager
    def borrowed(self, key: tuple[str, str | None], build: Callable[[], Any]) -> Iterator[Any]:
        """The desk for one background job: the shared one when a tab or client has it open, else one built for the
        job and closed after it (a job over every workspace must not keep a desk, and its connections, for each)."""
        with self._lock:
            desk = self._desks.get(key)
        if desk is not None:
            yield desk
            return
        desk = build()
        try:
            yield desk
        finally:
            desk.close()

    def drop(self, workspace_id: str) -> None:
        """Close the workspace's desks (its data is being deleted)."""
        with self._lock:
            gone = [self._desks.pop(key) for key in list(self._desks) if key[0] == workspace_id]
        for desk in gone:
            desk.close()

    def close_all(self) -> None:
        """Close every desk (the process is done with them)."""
        with self._lock:
            gone, self._desks = list(self._desks.values()), {}
        for desk in gone:
            desk.close()
