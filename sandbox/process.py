"""Worker processes as the app sees them: the zygote that forks them, and one worker (wait ready, end it).

The zygote is spawned fresh (`python -m sandbox.worker`, allowlisted environment), never forked from
the app, whose memory holds secrets. It pays smolagents' import once; each worker is then a fork of
the zygote that confines itself, so a worker starts in milliseconds.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sandbox.protocol import Channel, ProtocolError, check_message

# The only variables the zygote (and so every worker) inherits from the app; keys, tokens, settings stay out.
ENV_ALLOWLIST = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")
PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


class WorkerFailed(Exception):
    """The worker did not start, died, or broke the protocol."""


def worker_environment(home: str, environ: dict | None = None) -> dict[str, str]:
    environ = os.environ if environ is None else environ
    env = {name: environ[name] for name in ENV_ALLOWLIST if name in environ}
    env.update(PYTHONPATH=PACKAGE_ROOT, HOME=home, PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1")
    return env


class Zygote:
    """A clean, pre-imported interpreter that forks workers on request (over a Unix socket, fds passed)."""

    def __init__(self):
        self.home = tempfile.mkdtemp(prefix="smol-zygote-")
        self._socket, theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox.worker", "--control-fd", str(theirs.fileno())],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=worker_environment(self.home), cwd=self.home, close_fds=True, pass_fds=(theirs.fileno(),),
            start_new_session=True,
        )
        theirs.close()
        self._replies = self._socket.makefile("rb")
        self._lock = threading.Lock()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def fork(self, memory_mb: int, test_raw_exec: bool = False, test_skip: tuple[str, ...] = (),
             cpu_s: int | None = None, max_processes: int | None = None) -> WorkerProcess:
        """A new worker (`cpu_s`: its lifetime CPU limit); `test_raw_exec` and `test_skip` (measures left out)
        exist for tests only."""
        root = tempfile.mkdtemp(prefix="smol-worker-")
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        request = json.dumps({"root": root, "memory_mb": memory_mb, "cpu_s": cpu_s, "raw": test_raw_exec,
                              "skip": list(test_skip), "max_processes": max_processes}).encode()
        try:
            with self._lock:
                socket.send_fds(self._socket, [request], [to_worker_r, from_worker_w])
                line = self._replies.readline()
            pid = int(json.loads(line)["pid"])
        except (OSError, ValueError, KeyError) as exc:
            for fd in (to_worker_w, from_worker_r):
                os.close(fd)
            shutil.rmtree(root, ignore_errors=True)
            raise WorkerFailed(f"the worker zygote is gone ({exc or 'no answer'})") from None
        finally:
            os.close(to_worker_r)
            os.close(from_worker_w)
        return WorkerProcess(pid, Channel(from_worker_r, to_worker_w), root, memory_mb)

    def close(self) -> None:
        try:
            self._socket.close()
        except OSError:
            pass
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.home, ignore_errors=True)


class WorkerProcess:
    """One worker (a child of the zygote): its pid, its pipe to the app, its empty root directory.

    `pid` leads the worker's process group. With a PID namespace it is the namespace's keeper (the worker is its
    child, the namespace's first process, and dies with it); without one, it is the worker itself."""

    def __init__(self, pid: int, channel: Channel, root: str, memory_mb: int):
        self.pid = pid
        self.channel = channel
        self.root = root
        self.memory_mb = memory_mb
        self.hardening: dict | None = None
        self.on_ready: Callable[[dict], None] | None = None  # told the hardening report once (the pool's check)
        self.synced = False  # tools, variables and imports sent to this worker
        self._released = False

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)  # the zygote reaps its children at once: no zombies
            return True
        except ProcessLookupError:
            return False
        except PermissionError:  # exists, owned by another user (the worker became nobody)
            return True

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
            if self.on_ready is not None:
                self.on_ready(self.hardening)
        return self.hardening

    def signal_kill(self) -> None:
        """End the worker and every process of its group now (safe from any thread; the owner releases the
        pipes)."""
        if not self._released:
            for kill in (os.killpg, os.kill):
                try:
                    kill(self.pid, signal.SIGKILL)
                except OSError:
                    pass

    def group_alive(self) -> bool:
        """Any process left in the worker's process group (the worker, its keeper, what it started)."""
        try:
            os.killpg(self.pid, 0)
            return True
        except ProcessLookupError:
            return self.alive()
        except PermissionError:
            return True

    def wait_gone(self, wait_s: float = 2.0) -> bool:
        """Wait until the worker's whole process group has ended (a PID namespace ends with its first process,
        which the kernel lets go only after every process in it)."""
        deadline = time.monotonic() + wait_s
        while self.group_alive():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def release(self) -> None:
        """Kill, wait until gone, close the pipes, remove the empty root."""
        if self._released:
            return
        self.signal_kill()
        self.wait_gone()
        self._released = True
        for fd in (self.channel.read_fd, self.channel.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)
