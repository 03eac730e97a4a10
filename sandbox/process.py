"""One worker process as the app sees it: spawn it clean, wait until it is confined, end it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sandbox.protocol import Channel, ProtocolError, check_message

# The only variables a worker inherits from the app; everything else (keys, tokens, settings) stays out.
ENV_ALLOWLIST = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")
PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


class WorkerFailed(Exception):
    """The worker did not start, died, or broke the protocol."""


def worker_environment(root_dir: str, environ: dict | None = None) -> dict[str, str]:
    environ = os.environ if environ is None else environ
    env = {name: environ[name] for name in ENV_ALLOWLIST if name in environ}
    env.update(PYTHONPATH=PACKAGE_ROOT, HOME=root_dir, PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1")
    return env


class WorkerProcess:
    """A freshly spawned worker (`python -m sandbox.worker`), never a fork of the app's memory."""

    def __init__(self, memory_mb: int, test_raw_exec: bool = False):
        self.memory_mb = memory_mb
        self.root = tempfile.mkdtemp(prefix="smol-worker-")
        command = [sys.executable, "-m", "sandbox.worker", "--root", self.root, "--memory-mb", str(memory_mb)]
        if test_raw_exec:
            command.append("--test-raw-exec")
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=worker_environment(self.root), cwd=self.root, close_fds=True, start_new_session=True,
        )
        self.channel = Channel(self.proc.stdout.fileno(), self.proc.stdin.fileno())
        self.hardening: dict | None = None
        self.synced = False  # tools, variables and imports sent to this worker

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, timeout_s: float) -> dict:
        """The hardening report, once the worker has confined itself."""
        if self.hardening is None:
            try:
                message = self.channel.receive(timeout_s)
                if message is None:
                    raise WorkerFailed(f"the Python worker did not start within {timeout_s:g} s")
                message = check_message(message)
            except ProtocolError as exc:
                raise WorkerFailed(f"the Python worker failed to start ({exc})") from None
            if message["op"] != "ready":
                raise WorkerFailed("the Python worker sent an unexpected first message")
            self.hardening = message["hardening"]
        return self.hardening

    def signal_kill(self) -> None:
        """End the process now (safe from any thread; the owner releases the pipes)."""
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except OSError:
                pass

    def exit_code(self, wait_s: float = 1.0) -> int | None:
        try:
            return self.proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            return None

    def release(self) -> None:
        """Kill, reap and clean up: pipes closed, empty root removed."""
        self.signal_kill()
        self.exit_code(5.0)
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)
