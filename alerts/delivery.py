"""`DeliveryQueue`: webhook deliveries off the scheduler's thread, so a dead webhook never holds up an alert check.

A small thread pool of its own; at most one task per workspace at a time, which delivers that workspace's pending
notifications oldest first (each bounded by the delivery time limit, `alerts.webhooks.deliver`). A dead webhook
therefore holds one worker for its own workspace, never the check job or another workspace's task once a worker is
free. Asking again for a workspace whose task is running makes that task look once more before it ends, so nothing
queued meanwhile waits for the next tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)

DEFAULT_WORKERS = 4


class DeliveryQueue:
    def __init__(self, deliver_workspace: Callable[[str], None], workers: int = DEFAULT_WORKERS):
        self.deliver_workspace = deliver_workspace
        self.workers = workers
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._running: dict[str, Future] = {}
        self._again: set[str] = set()
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False

    def submit(self, workspaces: Iterable[str]) -> None:
        """Deliver these workspaces' pending notifications soon (returns at once)."""
        with self._lock:
            if self._closed:
                return
            for workspace in workspaces:
                if workspace in self._running:
                    self._again.add(workspace)
                    continue
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="webhook")
                self._running[workspace] = self._pool.submit(self._run, workspace)

    def _run(self, workspace: str) -> None:
        while True:
            try:
                self.deliver_workspace(workspace)
            except Exception:  # one workspace's failure must not stop the queue
                log.exception("webhook delivery for a workspace failed")
            with self._lock:
                if workspace in self._again and not self._closed:
                    self._again.discard(workspace)
                    continue
                self._again.discard(workspace)
                self._running.pop(workspace, None)
                self._idle.notify_all()
                return

    def busy(self) -> set[str]:
        """The workspaces whose deliveries are running now."""
        with self._lock:
            return set(self._running)

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until no delivery is running (True) or `timeout_s` passed (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._running, timeout_s)

    def close(self, wait_s: float = 0.0) -> None:
        """Stop taking work and drop what has not started; wait up to `wait_s` for running deliveries (their time
        limit bounds them; they end on their own)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        with self._idle:
            for workspace, future in list(self._running.items()):
                if future.cancelled():
                    del self._running[workspace]
            self._idle.notify_all()
        if wait_s > 0:
            self.wait(wait_s)
