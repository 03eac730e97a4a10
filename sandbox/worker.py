"""The worker process: smolagents' own interpreter, confined, talking JSON lines with the app.

Started by the app as a fresh interpreter (`python -m sandbox.worker --root DIR --memory-mb N`)
with an environment built from an allowlist. It imports what model code may use, then confines
itself (sandbox.hardening: no network, an empty root, no capabilities, a memory limit) and only then
says "ready". Tools and team members are stubs that send (name, args, kwargs) to the app and wait for
the plain-data answer. Messages from the app arrive on fd 0; messages to the app leave on a private
copy of fd 1; fds 1 and 2 themselves point at /dev/null so stray writes cannot corrupt the protocol.

This module imports only the standard library, smolagents and sandbox (never settings).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from typing import Any

from sandbox import format_guard
from sandbox.hardening import confine
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
    def __init__(self, channel: Channel, interpreter: Any, allow_raw: bool = False):
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
        """Test-only (--test-raw-exec): plain exec, no interpreter, to prove what the process itself can reach."""
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


def _private_output_fd() -> int:
    """A private copy of stdout for the protocol; fds 1 and 2 then go to /dev/null."""
    out = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--test-raw-exec", action="store_true")
    args = parser.parse_args(argv)
    os.nice(5)  # imports and model code yield the CPU to the app's own threads
    channel = Channel(0, _private_output_fd())
    from smolagents import local_python_executor as interpreter

    for name in PRELOADED:
        importlib.import_module(name)
    format_guard.install(interpreter)
    worker = Worker(channel, interpreter, allow_raw=args.test_raw_exec)
    worker.executor("x = 1")  # warm the interpreter's own lazy paths before the root disappears
    report = confine(args.root, args.memory_mb)
    sys.path[:] = []
    channel.send({"op": "ready", "hardening": report})
    worker.serve()


if __name__ == "__main__":
    main()
