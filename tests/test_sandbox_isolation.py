"""Arbitrary Python inside a worker (a test-only "raw" entry, no interpreter at all) gets no secret.

The app process of these tests holds canaries in its environment, in a Settings object and in a
file; the worker runs plain `exec` with every measure of sandbox.hardening applied, and tries the
paths a real escape would take.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from core.settings import load_settings
from sandbox.executor import SandboxExecutor
from sandbox.hardening import capabilities, fully_confined, is_dumpable, make_undumpable, missing_measures
from sandbox.pool import WorkerPool, confinement_warning
from sandbox.process import WorkerProcess

CANARY = "hf_CANARY_isolation_5f1e2d"


@pytest.fixture(scope="module")
def app_secrets(tmp_path_factory):
    os.environ["HF_TOKEN"] = CANARY
    os.environ["ALPACA_SECRET_KEY"] = CANARY + "_alpaca"
    settings = load_settings(dotenv_path=None)  # the app's settings object, in this process's memory
    secret_file = tmp_path_factory.mktemp("app") / ".env"
    secret_file.write_text(f"HF_TOKEN={CANARY}\n")
    secret_file.chmod(0o600)
    assert make_undumpable()
    yield settings, secret_file
    os.environ.pop("HF_TOKEN", None)
    os.environ.pop("ALPACA_SECRET_KEY", None)


@pytest.fixture(scope="module")
def pool(app_secrets):
    pool = WorkerPool(512, 600, spare=False, test_raw_exec=True)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def worker(pool):
    worker = pool.take()
    worker.wait_ready(60)
    yield worker
    worker.release()


def raw(worker: WorkerProcess, source: str):
    worker.channel.send({"op": "raw", "code": textwrap.dedent(source)})
    reply = worker.channel.receive(30)
    return reply.get("output") if reply["op"] == "done" else f"error: {reply['error']}"


def test_every_measure_applied_here(worker, pool):
    report = worker.hardening
    assert fully_confined(report), report
    assert report["uid"] != 0 and report["capabilities_left"] == 0
    assert missing_measures(report) == {}
    assert pool.fully_confined is True and pool.status() == "Python workers: fully confined"


def test_a_partly_confined_worker_logs_one_warning_and_the_pool_says_so(app_secrets, caplog):
    """A measure left out (as a kernel may refuse it): one warning naming it, the status, and its real effect."""
    pool = WorkerPool(512, 600, spare=False, test_raw_exec=True, test_skip_measures=("empty_root",))
    workers = []
    try:
        assert pool.fully_confined is None and pool.status() == "Python workers: starting"
        with caplog.at_level(logging.INFO, logger="sandbox.pool"):
            for _ in range(2):
                workers.append(pool.take())
                workers[-1].wait_ready(60)
        warnings = [r for r in caplog.records if r.name == "sandbox.pool" and r.levelno == logging.WARNING]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]  # once, not once per worker
        message = warnings[0].getMessage()
        assert "partly confined" in message and "empty_root (skipped (test setting))" in message
        assert "read every file the app's user can read" in message and ".env" in message
        assert "network_namespace" not in message  # only what is missing is named
        assert pool.fully_confined is False
        assert pool.status() == "Python workers: partly confined (not applied: empty_root)"
        # what the warning is about: without the empty root, the worker (uid nobody) reads any file the app's
        # user can read that others may read. The file is this test's own, in a folder anyone may enter, so the
        # check holds wherever the checkout lives (a clone under a 0700 home included).
        with tempfile.TemporaryDirectory(prefix="smol-readable-") as folder:
            os.chmod(folder, 0o755)
            readable = Path(folder) / "notes.txt"
            readable.write_text("what a partly confined worker can read\n" * 20)
            os.chmod(readable, 0o644)
            assert raw(workers[0], f"result = open({str(readable)!r}).read(300)") == readable.read_text()[:300]
    finally:
        for worker in workers:
            worker.release()
        pool.close()


def test_the_check_reads_a_report_of_a_host_that_refuses_namespaces():
    """A non-root app where unprivileged user namespaces are off: no network namespace, hence no chroot."""
    refused = "refused: [Errno 1] Operation not permitted"
    report = {"pid_namespace": True, "network_namespace": refused, "empty_root": refused,
              "capability_bounding_set": refused, "capabilities_cleared": True, "no_new_privs": True,
              "memory_limit": True, "cpu_limit": True, "parent_death_signal": True, "uid": 1000,
              "capabilities_left": 0}
    assert not fully_confined(report)
    assert missing_measures(report) == {"network_namespace": refused, "empty_root": refused}
    warning = confinement_warning(missing_measures(report))
    assert "reach the network" in warning and "a .env in it included" in warning
    as_root = {**report, "network_namespace": True, "empty_root": True, "uid_nobody": refused, "uid": 0,
               "capabilities_left": 0x1FF}
    assert set(missing_measures(as_root)) == {"uid_nobody", "capabilities_left"}


def test_the_app_process_is_not_dumpable(app_secrets):
    assert not is_dumpable()


def test_raw_code_finds_no_secret_in_its_environment_or_memory(worker, app_secrets):
    settings, _ = app_secrets
    assert settings.hf_token.reveal() == CANARY
    found = raw(worker, """
        import os, sys, gc
        result = repr(dict(os.environ)) + repr(sys.argv) + repr([str(o)[:200] for o in gc.get_objects()
                                                                   if isinstance(o, (str, dict))][:200000])
    """)
    assert CANARY not in found and "PYTHONPATH" in found


def test_raw_code_cannot_read_the_app_process(worker):
    app = os.getpid()
    for path in (f"/proc/{app}/environ", f"/proc/{app}/mem", f"/proc/{app}/cmdline", "/proc/self/environ"):
        result = raw(worker, f"result = open({path!r}, 'rb').read(4096)")
        assert result.startswith("error:") and CANARY not in result, (path, result)
    result = raw(worker, f"""
        import ctypes
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        result = [libc.ptrace(16, {app}, 0, 0), ctypes.get_errno()]  # PTRACE_ATTACH
    """)
    assert result[0] == -1


def test_raw_code_cannot_read_app_files_or_signal_the_app(worker, app_secrets):
    _, secret_file = app_secrets
    for path in (str(secret_file), str(Path(__file__).resolve()), "/etc/passwd"):
        result = raw(worker, f"result = open({path!r}).read()")
        assert str(result).startswith("error:"), path
    assert str(raw(worker, f"import os\nos.kill({os.getpid()}, 0)\nresult = 'signalled'")).startswith("error:")
    assert str(raw(worker, "import os\nresult = os.listdir('/')")) in (
        "[]", "error: [Errno 13] Permission denied: '/'")


def test_raw_code_has_no_network(worker):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        result = raw(worker, f"""
            import socket
            s = socket.socket()
            s.settimeout(2)
            s.connect(("127.0.0.1", {port}))
            result = "connected"
        """)
        assert str(result).startswith("error:")
    finally:
        listener.close()


def test_raw_code_cannot_regain_privileges(worker):
    result = raw(worker, """
        import os
        try:
            os.setuid(0)
            result = "root again"
        except OSError as exc:
            result = f"error: {exc}"
    """)
    assert str(result).startswith("error:")


def test_raw_code_gets_nothing_through_the_pipe(app_secrets, tmp_path):
    """The worker speaks the protocol itself: calls of unknown names, then a pickle. Nothing leaks, nothing loads."""
    marker = tmp_path / "unpickled"
    pool = WorkerPool(512, 600, spare=False, test_raw_exec=True)
    settings, _ = app_secrets
    executor = SandboxExecutor([], pool)
    executor.send_tools({"echo": lambda *a, **k: [a, k]})
    executor("1")
    hostile = f"""
        import gc, json, os, pickle
        worker = next(o for o in gc.get_objects() if type(o).__name__ == "Worker")
        def hostile_run(code):
            replies = []
            for name in ("__globals__", "settings", "os.environ", "echo"):
                worker.channel.send({{"op": "call", "name": name, "args": ["x"], "kwargs": {{"k": "v"}}}})
                replies.append(worker.channel.receive())
            worker.channel.send({{"op": "done", "output": replies, "logs": "", "final": False}})
            worker.run = lambda code: os.write(worker.channel.write_fd, pickle.dumps(Boom()) + b"\\n")
        class Boom:
            def __reduce__(self):
                return (open, ({str(marker)!r}, "w"))
        worker.run = hostile_run
        result = "armed"
    """
    worker = executor.worker
    worker.channel.send({"op": "raw", "code": textwrap.dedent(hostile)})
    assert worker.channel.receive(30)["output"] == "armed"
    replies = executor("anything").output
    assert CANARY not in repr(replies) and settings.hf_token.reveal() == CANARY
    assert replies[-1] == {"op": "reply", "ok": True, "value": [["x"], {"k": "v"}]}
    assert all(r["ok"] is False for r in replies[:3])
    with pytest.raises(Exception, match="ended unexpectedly|restarted"):
        executor("anything")
    assert not marker.exists()
    executor.close()
    pool.close()


def test_without_non_dumpable_a_capless_root_process_could_read_environ(tmp_path):
    """Non-dumpable on its own: with the app's capabilities also cleared (as an app running as a plain
    user has none), a dumpable app's environ is readable by a capability-less process of the same uid;
    a non-dumpable one's is not. (With full capabilities, the app is also protected by the kernel rule
    that a tracer needs a superset of the target's capabilities.)"""
    probe = textwrap.dedent("""
        import sys
        from sandbox.hardening import _clear_capabilities, capabilities
        _clear_capabilities()
        assert capabilities() == 0
        try:
            print("READ" if b"CANARY_ENV" in open(f"/proc/{sys.argv[1]}/environ", "rb").read() else "NO")
        except OSError as exc:
            print("DENIED", exc.errno)
    """)
    holder = "import sys, time\nfrom sandbox.hardening import make_undumpable, _clear_capabilities\n" \
             "_clear_capabilities()\nif sys.argv[1] == 'undumpable': make_undumpable()\n" \
             "print('up', flush=True)\ntime.sleep(30)"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "CANARY_ENV": "1"}
    results = {}
    for mode in ("dumpable", "undumpable"):
        target = subprocess.Popen([sys.executable, "-c", holder, mode], env=env, stdout=subprocess.PIPE, text=True)
        try:
            assert target.stdout.readline().strip() == "up"
            out = subprocess.run([sys.executable, "-c", probe, str(target.pid)], env={**env, "CANARY_ENV": ""},
                                 capture_output=True, text=True, timeout=60)
            results[mode] = out.stdout.strip()
        finally:
            target.kill()
            target.wait()
    if os.geteuid() == 0:
        assert results["dumpable"] == "READ"
    assert results["undumpable"].startswith("DENIED"), results
    assert capabilities() != 0 or os.geteuid() != 0  # this test process itself keeps its rights
