"""Where workers come from: a zygote, one pre-forked spare, and a sweeper that ends idle workers.

The pool makes the app process non-dumpable when it is created (before any worker exists) and starts
the zygote (the only process that pays smolagents' import). A new code agent's first step takes the
spare (forked, confined, waiting) and a new spare is forked in its place.

Every worker's hardening report is checked: when a measure is missing (the kernel refused it, e.g. a
non-root app without user namespaces), the pool logs one warning naming what is missing and what a
worker can then do, and `status()` says so (the app creates its pool at start, so this shows at startup).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Any

from sandbox.hardening import consequences, make_undumpable, missing_measures
from sandbox.process import WorkerFailed, WorkerProcess, Zygote

log = logging.getLogger(__name__)

SPARE_READY_TIMEOUT_S = 60.0
DEFAULT_CPU_S = 300
DEFAULT_MAX_PROCESSES = 256  # WORKER_MAX_PROCESSES


def confinement_warning(missing: dict[str, str]) -> str:
    """The one warning a partly confined worker gets: what is missing, what model code can then do."""
    named = "; ".join(f"{name} ({why})" for name, why in missing.items())
    return (f"Python workers for model-written code are only partly confined; not applied: {named}. "
            f"Model code in a worker can then {', '.join(consequences(missing))}. The worker still holds no "
            "secret in its own environment, but keep secrets in the environment (Space secrets), not in a .env "
            "file inside the app directory. See README, 'Model code isolation'.")


class WorkerPool:
    def __init__(self, memory_mb: int, idle_s: float, spare: bool = True, test_raw_exec: bool = False,
                 test_skip_measures: tuple[str, ...] = (), cpu_s: int | None = DEFAULT_CPU_S,
                 max_processes: int | None = DEFAULT_MAX_PROCESSES):
        self.memory_mb = memory_mb
        self.cpu_s = cpu_s  # CPU seconds one worker may use in its life (RLIMIT_CPU)
        self.max_processes = max_processes  # processes and threads of all workers together (RLIMIT_NPROC)
        self.idle_s = idle_s
        self.keep_spare = spare
        self.test_raw_exec = test_raw_exec  # tests only: workers also accept plain Python ("raw")
        self.test_skip_measures = tuple(test_skip_measures)  # tests only: leave these confinement measures out
        self.hardening: dict | None = None  # the latest worker's hardening report (None until one is ready)
        self.missing: dict[str, str] = {}  # measures missing in any worker so far -> why
        self._warned = False
        self.undumpable = make_undumpable()  # before any worker exists
        self._lock = threading.Lock()
        self._zygote_lock = threading.Lock()
        self._zygote = Zygote()
        self._spare: WorkerProcess | None = None
        self._watched: weakref.WeakSet[Any] = weakref.WeakSet()
        self._sweeper: threading.Thread | None = None
        self._closed = threading.Event()
        if spare:
            self._refill_soon()

    def _fork(self) -> WorkerProcess:
        with self._zygote_lock:
            if not self._zygote.alive():
                self._zygote.close()
                self._zygote = Zygote()
            zygote = self._zygote
        worker = zygote.fork(self.memory_mb, self.test_raw_exec, self.test_skip_measures, cpu_s=self.cpu_s,
                             max_processes=self.max_processes)
        worker.on_ready = self._check_confinement
        return worker

    def _check_confinement(self, report: dict) -> None:
        """Every worker's report: remembered for `status()`; the first one missing a measure logs a warning."""
        missing = missing_measures(report)
        if not self.undumpable:
            missing["app_undumpable"] = "refused: prctl(PR_SET_DUMPABLE, 0) failed in the app"
        with self._lock:
            first, self.hardening = self.hardening is None, report
            self.missing.update(missing)
            warn, self._warned = bool(missing) and not self._warned, self._warned or bool(missing)
        if warn:
            log.warning(confinement_warning(missing))
        elif first and not missing:
            log.info("Python workers for model-written code: fully confined (no network, empty root, "
                     "no capabilities, no_new_privs, memory and CPU limits, own PID namespace, "
                     "end with the app)")

    @property
    def fully_confined(self) -> bool | None:
        """True when every worker so far had every measure, False when one did not, None before the first."""
        return None if self.hardening is None else not self.missing

    def status(self) -> str:
        """One line for operators (startup log, status displays)."""
        if self.hardening is None:
            return "Python workers: starting"
        if not self.missing:
            return "Python workers: fully confined"
        return f"Python workers: partly confined (not applied: {', '.join(self.missing)})"

    def _refill_soon(self) -> None:
        threading.Thread(target=self._refill, name="sandbox-spare", daemon=True).start()

    def _refill(self) -> None:
        try:
            worker = self._fork()
        except WorkerFailed:
            return
        try:
            worker.wait_ready(SPARE_READY_TIMEOUT_S)  # confined and checked before it is handed out
        except WorkerFailed:
            worker.release()
            return
        with self._lock:
            if self._spare is None and not self._closed.is_set():
                self._spare = worker
                return
        worker.release()

    def take(self) -> WorkerProcess:
        """A worker for one code agent (the spare when there is one); a new spare is forked in its place."""
        with self._lock:
            worker, self._spare = self._spare, None
        if worker is not None and not worker.alive():
            worker.release()
            worker = None
        if self.keep_spare and not self._closed.is_set():
            self._refill_soon()
        return worker or self._fork()

    def watch(self, executor: Any) -> None:
        """Let the sweeper end this executor's worker after `idle_s` without a step."""
        with self._lock:
            self._watched.add(executor)
            if self._sweeper is None:
                self._sweeper = threading.Thread(target=self._sweep, name="sandbox-sweeper", daemon=True)
                self._sweeper.start()

    def sweep(self, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        return sum(1 for executor in list(self._watched) if executor.end_if_idle(now, self.idle_s))

    def _sweep(self) -> None:
        while not self._closed.wait(min(30.0, max(0.5, self.idle_s / 4))):
            self.sweep()

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.release()
        with self._zygote_lock:
            self._zygote.close()


_pools: dict[tuple[int, float, int | None, int | None], WorkerPool] = {}
_pools_lock = threading.Lock()


def shared_pool(memory_mb: int, idle_s: float, cpu_s: int | None = DEFAULT_CPU_S,
                max_processes: int | None = DEFAULT_MAX_PROCESSES) -> WorkerPool:
    """The app's pool for these limits (created on first use)."""
    with _pools_lock:
        key = (memory_mb, idle_s, cpu_s, max_processes)
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = WorkerPool(memory_mb, idle_s, cpu_s=cpu_s, max_processes=max_processes)
        return pool
