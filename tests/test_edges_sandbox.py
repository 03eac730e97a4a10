"""Workers cannot touch each other or outlive the app (issue 22, item 10): each worker has its own PID
namespace (or, where refused, may start no process), dies with its parent, and has a lifetime CPU limit.

Plain Python runs in the workers through the test-only "raw" entry (no interpreter in the way), as an attacker
who escaped smolagents' interpreter would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from sandbox.hardening import missing_measures
from sandbox.pool import WorkerPool, confinement_warning
from sandbox.process import PACKAGE_ROOT, WorkerProcess
from sandbox.protocol import ChannelClosed

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop


def raw(worker: WorkerProcess, source: str, timeout_s: float = 30):
    worker.channel.send({"op": "raw", "code": textwrap.dedent(source)})
    try:
        reply = worker.channel.receive(timeout_s)
    except ChannelClosed:  # the worker died
        return None
    if reply is None:
        raise AssertionError(f"no answer within {timeout_s} s")
    return reply.get("output") if reply["op"] == "done" else f"error: {reply['error']}"


def group_members(pgid: int) -> list[int]:
    """Processes whose process group is `pgid` (from /proc, as the app's PID namespace sees them)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(name))
    return found


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture(scope="module")
def pool():
    pool = WorkerPool(512, 600, spare=False, test_raw_exec=True, cpu_s=60)
    yield pool
    pool.close()


def ready(pool: WorkerPool) -> WorkerProcess:
    worker = pool.take()
    worker.wait_ready(60)
    return worker


def test_every_new_measure_is_applied_and_reported(pool):
    worker = ready(pool)
    try:
        report = worker.hardening
        assert report["pid_namespace"] is True and report["parent_death_signal"] is True
        assert report["cpu_limit"] is True and missing_measures(report) == {}
        assert report["process_count_limit"] is True  # the pool's default WORKER_MAX_PROCESSES
        assert raw(worker, "import os\nresult = os.getpid()") == 1  # the first process of its own namespace
    finally:
        worker.release()


def test_a_worker_cannot_fork_without_end():
    """Review of issue 22: inside its own PID namespace a worker could fork without a count limit (300 forks in a
    row succeeded), and its memory and CPU limits hold per process, so they bounded nothing in all. Its user may
    now run at most WORKER_MAX_PROCESSES processes and threads (RLIMIT_NPROC, counted over every worker)."""
    limited = WorkerPool(512, 600, spare=False, test_raw_exec=True, cpu_s=60, max_processes=40)
    worker = ready(limited)
    try:
        assert worker.hardening["process_count_limit"] is True
        made = raw(worker, """
            import os, time
            made = 0
            for _ in range(300):
                try:
                    pid = os.fork()
                except OSError:
                    break
                if pid == 0:
                    time.sleep(20)
                    os._exit(0)
                made += 1
            result = made
        """)
        assert isinstance(made, int) and made < 40  # refused at the limit, well before the 300 it tried
        assert raw(worker, "result = 'still answers'") == "still answers"
    finally:
        worker.release()
        limited.close()


def test_a_worker_cannot_signal_another_worker(pool):
    victim, attacker = ready(pool), ready(pool)
    try:
        assert raw(victim, "result = 'alive'") == "alive"
        outcome = raw(attacker, f"""
            import os
            result = []
            for target in ({victim.pid}, -{victim.pid}, -1):
                try:
                    os.kill(target, 9)
                    result.append('sent')
                except OSError as exc:
                    result.append(type(exc).__name__)
        """)
        assert outcome == ["ProcessLookupError"] * 3  # no other worker exists in its namespace
        assert victim.alive() and raw(victim, "result = 'still alive'") == "still alive"
    finally:
        victim.release()
        attacker.release()


def test_a_forked_child_does_not_survive_release(pool):
    worker = ready(pool)
    child = raw(worker, """
        import os, time
        pid = os.fork()
        if pid == 0:
            os.setsid()  # leaves the worker's process group: only the namespace can end it
            while True:
                time.sleep(0.01)
        result = pid
    """)
    assert isinstance(child, int) and child > 1
    members = group_members(worker.pid)
    assert worker.pid in members and len(members) >= 2  # the keeper and the worker

    def family() -> list[int]:  # the group, and children of its members that left it (the forked child)
        return members + [p for p in map(int, filter(str.isdigit, os.listdir("/proc")))
                          if p not in members and _ns_child_of(p, members)]

    assert wait_until(lambda: len(family()) >= 3, 5), family()
    everyone = family()
    worker.release()
    assert wait_until(lambda: not any(running(p) for p in everyone), 5)


def _ns_child_of(pid: int, parents: list[int]) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1]) in parents
    except OSError:
        return False


def test_a_worker_is_stopped_at_its_cpu_limit():
    pool = WorkerPool(512, 600, spare=False, test_raw_exec=True, cpu_s=1)
    try:
        worker = ready(pool)
        assert raw(worker, "while True:\n    pass", timeout_s=30) is None  # the pipe closed: it was killed
        assert wait_until(lambda: not worker.group_alive(), 5)
        worker.release()
    finally:
        pool.close()


def test_where_a_pid_namespace_is_refused_the_worker_may_start_no_process():
    pool = WorkerPool(512, 600, spare=False, test_raw_exec=True, test_skip_measures=("pid_namespace",))
    try:
        worker = ready(pool)
        report = worker.hardening
        assert report["pid_namespace"] == "skipped (test setting)" and report["process_limit"] is True
        assert set(missing_measures(report)) == {"pid_namespace"}
        assert "see and signal other workers" in confinement_warning(missing_measures(report))
        assert pool.status() == "Python workers: partly confined (not applied: pid_namespace)"
        assert raw(worker, "import os\nresult = os.fork()").startswith("error: [Errno 11]")  # EAGAIN
        worker.release()
        assert not worker.group_alive()
    finally:
        pool.close()


APP = """
import sys, time
sys.path.insert(0, {root!r})
from sandbox.pool import WorkerPool
pool = WorkerPool(512, 600, spare=False, test_raw_exec=True)
worker = pool.take()
worker.wait_ready(60)
worker.channel.send({{"op": "raw", "code": "while True:\\n    pass"}})
print(worker.pid, pool._zygote.proc.pid, flush=True)
time.sleep(600)
"""


def test_workers_end_when_the_app_is_killed():
    app = subprocess.Popen([sys.executable, "-c", APP.format(root=PACKAGE_ROOT)], stdout=subprocess.PIPE,
                           text=True)
    try:
        keeper, zygote = (int(n) for n in app.stdout.readline().split())
        spinning = group_members(keeper)
        assert keeper in spinning and len(spinning) >= 2 and running(zygote)
        os.kill(app.pid, signal.SIGKILL)
        app.wait(10)
        assert wait_until(lambda: not any(running(p) for p in [zygote, *spinning]), 10), \
            [p for p in [zygote, *spinning] if running(p)]
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
