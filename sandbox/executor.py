"""The app side of a worker: a smolagents `PythonExecutor` whose code runs in a confined process.

`CodeAgent(executor=SandboxExecutor(...))` uses it like smolagents' own executors: `send_tools`,
`send_variables`, `__call__(code) -> CodeOutput`. Tools and team members stay in the app: the
worker only knows their names, and each call it makes arrives here as (name, args, kwargs), runs the
real callable (through `wrap`, e.g. the team's delegation wrapper) and goes back as plain data.
Worker messages are JSON, size-bounded and shape-checked; nothing from the worker is unpickled.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from smolagents.local_python_executor import MAX_EXECUTION_TIME_SECONDS, CodeOutput, InterpreterError, PythonExecutor

from sandbox.pool import WorkerPool
from sandbox.process import WorkerFailed, WorkerProcess
from sandbox.protocol import ProtocolError, check_message

Wrapper = Callable[[str, Any], Callable[..., Any]]


def _as_is(name: str, target: Any) -> Callable[..., Any]:
    return target


def _release_quietly(holder: list) -> None:
    for worker in holder:
        if worker is not None:
            worker.release()


class SandboxExecutor(PythonExecutor):
    def __init__(self, additional_authorized_imports: list[str], pool: WorkerPool, wrap: Wrapper = _as_is, *,
                 timeout_s: float = MAX_EXECUTION_TIME_SECONDS, start_timeout_s: float = 60.0,
                 max_print_outputs_length: int | None = None):
        self.additional_authorized_imports = list(additional_authorized_imports)
        self.pool = pool
        self.timeout_s = timeout_s
        self.start_timeout_s = start_timeout_s
        self.max_print_outputs_length = max_print_outputs_length
        self.state: dict[str, Any] = {}  # smolagents reads state["_print_outputs"] after a failed step
        self._wrap = wrap
        self._callables: dict[str, Callable[..., Any]] = {}
        self._variables: dict[str, Any] = {}
        self._holder: list[WorkerProcess | None] = [None]  # shared with the finalizer
        self._lock = threading.RLock()
        self._claim_lock = threading.Lock()  # never held while waiting for anything (see _claim_early)
        self._claim: threading.Thread | None = None
        self._busy = False
        self._stop_requested = False
        self._note: str | None = None
        self.closed = False
        self.last_used = time.monotonic()
        self._finalizer = weakref.finalize(self, _release_quietly, self._holder)
        pool.watch(self)

    # -- smolagents' PythonExecutor interface --------------------------------------------------
    def send_tools(self, tools: dict[str, Any]) -> None:
        """Called at the start of every run: record the callables, and claim the worker in the background."""
        with self._lock:
            self._callables = {name: self._wrap(name, target) for name, target in tools.items()}
            self._stop_requested = False
            self._mark_unsynced()
            self._claim_early()

    def _claim_early(self) -> None:
        """Take this agent's worker now, on a thread, so its fork and confinement happen while the model writes the
        first step (one worker costs ~10 ms; 32 new sessions at once, ~0.4 s). The first step joins this thread."""
        worker = self._holder[0]
        if self.closed or (worker is not None and worker.alive()) or (self._claim and self._claim.is_alive()):
            return
        self._claim = threading.Thread(target=self._claim_worker, name="sandbox-claim", daemon=True)
        self._claim.start()

    def _claim_worker(self) -> None:
        try:
            worker = self.pool.take()
        except WorkerFailed:
            return  # the first step tries again and says why
        with self._claim_lock:
            if self.closed or self._holder[0] is not None:
                worker.release()
            else:
                self._holder[0] = worker

    def send_variables(self, variables: dict[str, Any]) -> None:
        with self._lock:
            self._variables.update(variables)
            self._mark_unsynced()

    def __call__(self, code_action: str) -> CodeOutput:
        with self._lock:
            if self.closed:
                raise InterpreterError("This session has ended; its Python worker is closed.")
            if self._stop_requested:
                raise InterpreterError("Stopped by the person: the code was not run.")
            self._busy = True
            try:
                return self._run(code_action)
            finally:
                self._busy = False
                self.last_used = time.monotonic()

    # -- the worker -------------------------------------------------------------------------
    @property
    def worker(self) -> WorkerProcess | None:
        return self._holder[0]

    @property
    def busy(self) -> bool:
        """A code step is running (in the worker, or in a tool it called)."""
        return self._busy

    def _worker(self) -> WorkerProcess:
        claim = self._claim
        if claim is not None:
            claim.join()  # the worker claimed at the start of the run (it takes no lock this thread holds)
        worker = self._holder[0]
        if worker is None or not worker.alive():
            if worker is not None:
                self._lose(worker, "it had stopped")
            worker = self._holder[0] = self.pool.take()
        return worker

    def _mark_unsynced(self) -> None:
        if self._holder[0] is not None:
            self._holder[0].synced = False

    def _ready(self) -> WorkerProcess:
        try:
            worker = self._worker()
        except WorkerFailed as exc:
            raise InterpreterError(f"The Python worker could not start ({exc}). Try the step again.") from None
        try:
            worker.wait_ready(self.start_timeout_s)
            if not worker.synced:
                for message in (
                    {"op": "setup", "imports": self.additional_authorized_imports,
                     "max_print_chars": self.max_print_outputs_length},
                    {"op": "tools", "names": sorted(self._callables)},
                    {"op": "vars", "vars": self._variables},
                ):
                    worker.channel.send(message)
                    reply = worker.channel.receive(self.start_timeout_s)
                    if reply is None or check_message(reply)["op"] != "ok":
                        raise WorkerFailed("the Python worker did not accept its tools")
                worker.synced = True
        except (WorkerFailed, ProtocolError) as exc:
            self._lose(worker, "it failed to start")
            raise InterpreterError(f"The Python worker could not start ({exc}). Try the step again.") from None
        return worker

    def _run(self, code: str) -> CodeOutput:
        worker = self._ready()
        note, self._note = self._note, None
        finished = False
        try:
            worker.channel.send({"op": "run", "code": code})
            remaining = self.timeout_s  # the worker's own time: tool calls run here and do not count
            while True:
                started = time.monotonic()
                message = worker.channel.receive(remaining)
                remaining -= time.monotonic() - started
                if message is None:
                    raise self._ended(worker, f"The code ran for more than {self.timeout_s:g} s and was stopped")
                message = check_message(message)
                if message["op"] == "call":
                    self._answer_call(worker, message)
                    continue
                logs = (note or "") + message["logs"]
                self.state["_print_outputs"] = logs
                if message["op"] == "done":
                    finished = True
                    return CodeOutput(output=message.get("output"), logs=logs,
                                      is_final_answer=message["final"])
                if message["op"] == "error" and message["kind"] == "memory":
                    raise self._ended(worker, f"The code needed more memory than a worker may use "
                                              f"({worker.memory_mb} MB) and was stopped")
                if message["op"] == "error":
                    finished = True
                    raise InterpreterError(message["error"])
                raise ProtocolError(f"unexpected {message['op']}")
        except ProtocolError:
            raise self._ended(worker, self._why_gone(worker)) from None
        finally:
            if not finished and self._holder[0] is worker:
                self._lose(worker, "its step did not finish")

    def _answer_call(self, worker: WorkerProcess, message: dict) -> None:
        target = self._callables.get(message["name"])
        if target is None:
            reply = {"op": "reply", "ok": False, "error_type": "NameError",
                     "error": f"{message['name'][:60]!r} is not a tool of this agent"}
        else:
            try:
                reply = {"op": "reply", "ok": True, "value": target(*message["args"], **message["kwargs"])}
            except Exception as exc:  # the tool's own error goes back to the model, as in-process
                reply = {"op": "reply", "ok": False, "error_type": type(exc).__name__, "error": str(exc)}
        worker.channel.send(reply)

    def _why_gone(self, worker: WorkerProcess) -> str:
        if self._stop_requested:
            return "Stopped by the person: the running code was ended"
        return "The Python worker ended unexpectedly"

    def _ended(self, worker: WorkerProcess, why: str) -> InterpreterError:
        self._lose(worker, why.split(":")[0].lower())
        return InterpreterError(f"{why}. The worker was restarted; variables from earlier code steps are gone.")

    def _lose(self, worker: WorkerProcess, reason: str) -> None:
        """End this worker; the next step gets a fresh one and the model is told its variables are gone."""
        if self._holder[0] is worker:
            self._holder[0] = None
        worker.release()
        self._note = (f"Note: the Python worker was restarted ({reason}); "
                      "variables from earlier code steps are gone.\n")

    # -- lifecycle --------------------------------------------------------------------------
    def interrupt(self) -> None:
        """Stop: a running step ends at once (its worker is killed); the conversation is kept."""
        self._stop_requested = True
        worker = self._holder[0]
        if self._busy and worker is not None:
            worker.signal_kill()

    def end_if_idle(self, now: float, idle_s: float) -> bool:
        if self._holder[0] is None or now - self.last_used < idle_s or not self._lock.acquire(blocking=False):
            return False
        try:
            worker = self._holder[0]
            if worker is None or self._busy:
                return False
            self._lose(worker, f"idle for more than {idle_s:g} s")
            return True
        finally:
            self._lock.release()

    def close(self) -> None:
        """End the worker for good (the session is over)."""
        with self._claim_lock:  # a claim still in flight sees `closed` and gives its worker back
            self.closed = True
        self._stop_requested = True
        worker = self._holder[0]
        if worker is None:
            return
        worker.signal_kill()
        if self._lock.acquire(blocking=False):
            try:
                if self._holder[0] is worker:
                    self._holder[0] = None
                worker.release()
            finally:
                self._lock.release()

    cleanup = close
