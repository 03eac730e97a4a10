"""The worker protocol and the executor around it: real worker processes, real tools, no fakes."""

from __future__ import annotations

import os
import time

import pytest
from smolagents.local_python_executor import InterpreterError

from sandbox.executor import SandboxExecutor
from sandbox.pool import WorkerPool
from sandbox.process import worker_environment
from sandbox.protocol import Channel, ProtocolError, check_message, encode


@pytest.fixture(scope="module")
def pool():
    pool = WorkerPool(memory_mb=512, idle_s=600)
    yield pool
    pool.close()


@pytest.fixture
def executor(pool):
    calls = []

    def add(a, b=0):
        calls.append((a, b))
        return a + b

    def explode(reason):
        raise ValueError(f"no: {reason}")

    executor = SandboxExecutor(["json", "math"], pool)
    executor.send_tools({"add": add, "explode": explode, "kill_my_worker": lambda: os.killpg(executor.worker.pid, 9)})
    executor.send_variables({"start": 40})
    executor.calls = calls
    yield executor
    executor.close()


def test_message_shapes_are_checked():
    assert check_message({"op": "call", "name": "t", "args": [1], "kwargs": {"a": 2}})["name"] == "t"
    for bad in ([1], {"op": 3}, {"op": "pickle"}, {"op": "call", "name": "t", "args": {}, "kwargs": {}},
                {"op": "done", "logs": "", "final": "yes"}, {"op": "ready"}):
        with pytest.raises(ProtocolError):
            check_message(bad)


def test_values_json_cannot_carry_become_text():
    class Thing:
        def __str__(self):
            return "a thing"

    line = encode({"op": "done", "output": Thing(), "set": {3}})
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert b'"a thing"' in line and b'"{3}"' in line


def test_a_hostile_line_is_refused_not_evaluated():
    read_fd, write_fd = os.pipe()
    channel = Channel(read_fd, write_fd)
    os.write(write_fd, b"\x80\x04\x95pickle-bytes\n")  # a pickle stream, as a hostile worker might send
    with pytest.raises(ProtocolError):
        channel.receive(1)
    os.write(write_fd, b'{"op": "ok"}\n')
    assert channel.receive(1) == {"op": "ok"}
    os.close(read_fd)
    os.close(write_fd)


def test_worker_environment_is_built_from_an_allowlist():
    env = worker_environment("/tmp/x", {"PATH": "/bin", "HF_TOKEN": "hf_canary", "ALPACA_SECRET_KEY": "s",
                                        "LANG": "C.UTF-8", "PYTHONPATH": "/evil", "HOME": "/root"})
    assert env["PATH"] == "/bin" and env["LANG"] == "C.UTF-8" and env["HOME"] == "/tmp/x"
    assert "HF_TOKEN" not in env and "ALPACA_SECRET_KEY" not in env and "/evil" not in env["PYTHONPATH"]


def test_tools_are_stubs_that_run_in_the_app(executor):
    out = executor("x = add(start, b=2)\nprint('sum', x)\nx")
    assert (out.output, out.logs, out.is_final_answer) == (42, "sum 42\n", False)
    assert executor.calls == [(40, 2)]  # the real callable ran here, in the app process
    assert executor("final_answer({'x': x})").is_final_answer


def test_variables_persist_between_steps_and_runs(executor):
    executor("memo = [1, 2]")
    executor.send_tools(dict(executor._callables))  # what smolagents does at the start of the next run
    executor.send_variables({"extra": 1})
    assert executor("memo + [extra]").output == [1, 2, 1]


def test_a_tool_error_reaches_the_model_as_an_error(executor):
    with pytest.raises(InterpreterError, match="ValueError: no: because"):
        executor("explode('because')")
    assert executor("1 + 1").output == 2  # the same worker goes on


def test_a_worker_that_dies_mid_step_gives_a_clear_message_and_a_fresh_worker(executor):
    executor("kept = 1")
    with pytest.raises(InterpreterError, match="ended unexpectedly.*variables from earlier code steps are gone"):
        executor("kill_my_worker()")
    out = executor("print('again')")
    assert "worker was restarted" in out.logs and "again" in out.logs
    with pytest.raises(InterpreterError, match="kept"):
        executor("kept")


def test_running_out_of_memory_gives_a_clear_message(executor):
    with pytest.raises(InterpreterError, match=r"more memory than a worker may use \(512 MB\)"):
        executor("big = 'a' * (900 * 1024 * 1024)")
    assert executor("2 * 3").output == 6


def test_code_that_runs_too_long_is_stopped(pool):
    executor = SandboxExecutor([], pool, timeout_s=1)
    executor.send_tools({})
    try:
        with pytest.raises(InterpreterError, match="ran for more than 1 s"):
            executor("while True:\n    pass")
        assert executor("1").output == 1
    finally:
        executor.close()


def test_an_idle_worker_is_ended_and_the_next_step_is_told(pool, executor):
    executor("y = 5")
    pid = executor.worker.pid
    assert executor.end_if_idle(executor.last_used + 601, 600)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert "idle" in executor("1").logs


def test_close_ends_the_worker(pool):
    executor = SandboxExecutor([], pool)
    executor.send_tools({})
    executor("1")
    pid = executor.worker.pid
    executor.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(InterpreterError, match="ended"):
        executor("1")


def test_the_spare_worker_is_ready_before_it_is_needed(pool):
    worker = pool.take()
    try:
        report = worker.wait_ready(60)
        assert report["memory_limit"] is True
    finally:
        worker.release()


def test_workers_come_from_a_clean_zygote_not_from_the_app(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_canary_fork")
    pool = WorkerPool(512, 600, spare=False, test_raw_exec=True)
    worker = pool.take()
    try:
        worker.wait_ready(60)
        worker.channel.send({"op": "raw", "code": "import sys, os\nresult = [sorted(sys.modules), dict(os.environ)]"})
        modules, environ = worker.channel.receive(30)["output"]
        assert "agents" not in modules and "core.settings" not in modules and "pytest" not in modules
        assert "HF_TOKEN" not in environ and set(environ) <= {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "HOME",
                                                             "PYTHONPATH", "PYTHONDONTWRITEBYTECODE",
                                                             "PYTHONNOUSERSITE"}
    finally:
        worker.release()
        pool.close()


def test_the_worker_is_claimed_when_a_run_starts_not_at_its_first_step(pool):
    """Its fork and confinement then overlap the model writing the first step (issue 12: cold start hidden)."""
    executor = SandboxExecutor([], pool)
    assert executor.worker is None
    executor.send_tools({})  # what smolagents does at the start of every run
    deadline = time.monotonic() + 30
    while executor.worker is None and time.monotonic() < deadline:
        time.sleep(0.01)
    claimed = executor.worker
    assert claimed is not None and claimed.alive()
    assert executor("x = 41 + 1").output == 42 and executor.worker is claimed  # the first step uses it
    executor.close()
    with pytest.raises(ProcessLookupError):
        os.kill(claimed.pid, 0)


def test_a_claim_still_in_flight_when_the_session_ends_gives_its_worker_back(pool):
    executor = SandboxExecutor([], pool)
    executor.send_tools({})
    executor.close()  # before the claim has finished
    executor._claim.join(30)
    assert executor.worker is None


def test_a_worker_starts_and_runs_while_the_app_holds_descriptors_above_1024():
    """A busy app holds many sockets and files; select() refused descriptors numbered 1024 or more (the worker
    "failed to start (filedescriptor out of range in select())")."""
    held = []
    try:
        while not held or held[-1] < 1100:
            held.append(os.open(os.devnull, os.O_RDONLY))
        pool = WorkerPool(memory_mb=512, idle_s=600, spare=False)
        executor = SandboxExecutor(["math"], pool)
        try:
            executor.send_tools({})
            assert executor("import math\nmath.floor(41.5) + 1").output == 42
            assert min(executor.worker.channel.read_fd, executor.worker.channel.write_fd) >= 1024
        finally:
            executor.close()
            pool.close()
    finally:
        for fd in held:
            os.close(fd)


def test_a_channel_reads_from_a_descriptor_above_1024():
    read_fd, write_fd = os.pipe()
    high_read, high_write = os.dup2(read_fd, 1500), os.dup2(write_fd, 1501)
    os.close(read_fd)
    os.close(write_fd)
    try:
        channel = Channel(high_read, high_write)
        assert channel.receive(timeout_s=0.05) is None  # nothing yet: a timeout, not an error
        channel.send({"type": "ping"})
        assert channel.receive(timeout_s=1.0) == {"type": "ping"}
    finally:
        os.close(high_read)
        os.close(high_write)
