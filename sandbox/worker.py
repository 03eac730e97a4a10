"""The worker processes: smolagents' own interpreter, confined, talking JSON lines with the app.

The app starts one zygote as a fresh interpreter (`python -m sandbox.worker --control-fd N`), never a fork
of itself, with an environment built from an allowlist. The zygote imports what model code may use, then
waits; for each worker the app asks for, it forks a child that confines itself (sandbox.hardening: no
network, an empty root, no capabilities, a memory limit) and only then says "ready". Tools and team
members are stubs that send (name, args, kwargs) to the app and wait for the plain-data answer. Each
worker talks to the app over its own two pipes; fds 0-2 of the zygote point at /dev/null.

This module imports only the standard library, smolagents and sandbox (never settings).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import re
import signal
import socket
import sys
from typing import Any

from sandbox import format_guard
from sandbox.hardening import become_subreaper, confine, die_with_parent, isolate_processes
from sandbox.protocol import Channel

# Modules model code may import, loaded before the root directory disappears (with the lazy
# helpers they reach for: strptime, common codecs).
PRELOADED = (
    "json", "math", "datetime", "statistics", "re", "collections", "itertools", "queue", "random",
    "stat", "time", "unicodedata", "_strptime", "encodings.utf_16", "encodings.utf_32", "encodings.latin_1",
    "encodings.ascii", "encodings.cp1252", "encodings.utf_8_sig", "encodings.unicode_escape",
    "encodings.raw_unicode_escape", "encodings.idna", "encodings.hex_codec", "encodings.base64_codec",
)


def _exception_type(name: str) -> type:
    name = name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,60}", name or "") else "ToolError"
    return type(name, (Exception,), {})


class Worker:
    def __init__(self, channel: Channel | None, interpreter: Any, allow_raw: bool = False):
        self.channel = channel
        self.interpreter = interpreter  # the smolagents.local_python_executor module
        self.allow_raw = allow_raw
        self.executor = interpreter.LocalPythonExecutor([], timeout_seconds=None)
        self.executor.send_tools({"final_answer": _final_answer})

    def stub(self, name: str):
        def call_app(*args, **kwargs):
            self.channel.send({"op": "call", "name": name, "args": list(args), "kwargs": kwargs})
            reply = self.channel.receive() or {}
            if reply.get("ok"):
                return reply.get("value")
            raise _exception_type(reply.get("error_type", ""))(reply.get("error", "the tool failed"))

        call_app.__name__ = call_app.__qualname__ = name
        return call_app

    def serve(self) -> None:
        while True:
            message = self.channel.receive()
            op = message.get("op")
            if op == "setup":  # the variables so far are kept
                state = self.executor.state
                self.executor = self.interpreter.LocalPythonExecutor(
                    list(message["imports"]), timeout_seconds=None,
                    max_print_outputs_length=message.get("max_print_chars"))
                self.executor.state = state
                self.executor.send_tools({"final_answer": _final_answer})
                self.channel.send({"op": "ok"})
            elif op == "tools":
                tools = {name: self.stub(name) for name in message["names"] if name != "final_answer"}
                self.executor.send_tools({**tools, "final_answer": _final_answer})
                self.channel.send({"op": "ok"})
            elif op == "vars":
                self.executor.send_variables(dict(message["vars"]))
                self.channel.send({"op": "ok"})
            elif op == "run":
                self.run(message["code"])
            elif op == "raw" and self.allow_raw:
                self.run_raw(message["code"])
            else:
                return

    def run(self, code: str) -> None:
        try:
            out = self.executor(code)
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the app as text
            logs = str(self.executor.state.get("_print_outputs", ""))
            out_of_memory = isinstance(exc, MemoryError) or "due to: MemoryError" in _text(exc)
            self.channel.send({"op": "error", "error": _text(exc), "logs": logs,
                               "kind": "memory" if out_of_memory else "interpreter"})
            if out_of_memory or not isinstance(exc, Exception):
                os._exit(3)
            return
        self.channel.send({"op": "done", "output": out.output, "logs": out.logs, "final": bool(out.is_final_answer)})

    def run_raw(self, code: str) -> None:
        """Tests only (a pool made with test_raw_exec=True): plain exec, no interpreter, to prove what the
        confined process itself can reach. The app's own pools never enable it."""
        namespace: dict = {}
        try:
            exec(code, namespace)  # noqa: S102 - the test's own code, enabled only by a test flag
            self.channel.send({"op": "done", "output": namespace.get("result"), "logs": "", "final": False})
        except BaseException as exc:  # noqa: BLE001
            self.channel.send({"op": "error", "error": _text(exc), "logs": "", "kind": "raw"})


def _final_answer(answer: Any = None, *args: Any, **kwargs: Any) -> Any:
    return answer if answer is not None else kwargs.get("answer")


def _text(exc: BaseException) -> str:
    try:
        return f"{exc}" if str(exc) else type(exc).__name__
    except Exception:
        return type(exc).__name__


def prepare(interpreter: Any) -> None:
    """What every worker needs before the root directory disappears: modules, the format guard, a warm interpreter."""
    for name in PRELOADED:
        importlib.import_module(name)
    format_guard.install(interpreter)
    Worker(None, interpreter).executor("x = 1")  # the interpreter's own lazy paths


def run_worker(interpreter: Any, channel: Channel, root: str, memory_mb: int, allow_raw: bool,
               skip: tuple[str, ...] = (), *, cpu_s: int | None = None, watch_fd: int | None = None,
               report: dict | None = None, max_processes: int | None = None) -> None:
    """One worker: confine, say ready, serve until the app closes the pipe."""
    random.seed()  # not the sequence every sibling inherited from the zygote
    worker = Worker(channel, interpreter, allow_raw=allow_raw)
    report = confine(root, memory_mb, skip=skip, cpu_s=cpu_s, watch_fd=watch_fd, report=report,
                     max_processes=max_processes)
    sys.path[:] = []
    channel.send({"op": "ready", "hardening": report})
    worker.serve()


def start_worker(interpreter: Any, request: dict, fds: list[int], zygote_watch: int) -> None:
    """In the zygote's child (its own process group): the worker, in its own PID namespace when the kernel
    allows. Then this process stays as the namespace's keeper: the pid the app knows, killed by the app to end
    the worker, and the parent the worker dies with (PR_SET_PDEATHSIG); it dies with the zygote in turn, and the
    zygote ends when the app does (its control socket closes). Never returns."""
    skip = tuple(str(n) for n in request.get("skip") or ())
    report: dict = {}
    watch = zygote_watch
    if isolate_processes(report, skip):
        watch_r, watch_w = os.pipe()  # the worker's view of this keeper: EOF once it is gone
        inner = os.fork()
        if inner != 0:  # the keeper
            os.close(watch_r)
            for fd in fds:
                os.close(fd)
            die_with_parent(zygote_watch)
            try:
                os.waitpid(inner, 0)
            finally:
                os._exit(0)
        os.close(watch_w)
        os.close(zygote_watch)
        watch = watch_r
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the namespace's first process reaps what model code starts
    die_with_parent(watch)  # from the start; set again at the end of confine (a change of uid clears it)
    os.dup2(fds[0], 0)
    os.close(fds[0])
    cpu_s, max_processes = request.get("cpu_s"), request.get("max_processes")
    run_worker(interpreter, Channel(0, fds[1]), request["root"], int(request["memory_mb"]), bool(request.get("raw")),
               skip, cpu_s=None if cpu_s is None else int(cpu_s), watch_fd=watch, report=report,
               max_processes=None if max_processes is None else int(max_processes))


def zygote(interpreter: Any, control: socket.socket) -> None:
    """Fork one worker per request from the app: (root, memory and CPU limits, test flags) and the worker's two
    pipe ends.

    The zygote is a clean process (the app's allowlisted environment, no secret), so forking it is safe;
    each child confines itself before it says ready."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    become_subreaper()  # orphans of workers come here and are reaped too
    watch_r, watch_w = os.pipe()  # held open by the zygote for as long as it lives: its children watch it
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(control, 4096, 2)
        except OSError:
            return
        if not data or len(fds) != 2:
            return
        request = json.loads(data)
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                os.close(watch_w)
                os.setpgid(0, 0)  # its own process group: the app ends the worker and all it started at once
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                start_worker(interpreter, request, fds, watch_r)
            finally:
                os._exit(0)
        try:
            os.setpgid(pid, pid)  # also here, so the group exists before the app could signal it
        except OSError:
            pass
        for fd in fds:
            os.close(fd)
        control.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--control-fd", type=int, required=True)
    args = parser.parse_args(argv)
    os.nice(5)  # imports and model code yield the CPU to the app's own threads
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # stray writes go nowhere; each worker gets its own pipes
        os.dup2(null, fd)
    os.close(null)
    from smolagents import local_python_executor as interpreter

    prepare(interpreter)
    zygote(interpreter, socket.socket(fileno=args.control_fd))


if __name__ == "__main__":
    main()
