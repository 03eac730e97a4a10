"""Model code isolation: what the worker process costs.

Per code step, worker vs smolagents' in-process interpreter (a plain step, and one with a tool call);
the zygote's cold start (once per app), a worker's cold start (fork of the zygote -> confined, ready)
and warm-spare start (a new session's first step with the spare waiting); memory of an active worker
(RSS / USS / PSS) and of an idle session (the app-side team of a session whose worker has ended).
Prints a table; asserts nothing. Run: python -m benchmarks.bench_sandbox
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable

from smolagents.local_python_executor import LocalPythonExecutor

from sandbox.executor import SandboxExecutor
from sandbox.pool import WorkerPool
from sandbox.process import Zygote

IMPORTS = ["json", "math", "datetime", "statistics", "re"]
STEP = ("import statistics\nprices = [100 + i * 0.5 for i in range(50)]\n"
        "avg = statistics.mean(prices)\nprint(round(avg, 2))")
TOOL_STEP = "q = quote(symbol='AAPL')\nprint(q['price'])"


def quote(symbol: str) -> dict:
    return {"symbol": symbol, "price": 187.5, "observed": "2026-11-23T15:00:00Z"}


def median_ms(runs: int, fn: Callable[[], object]) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def memory_kb(pid: int) -> dict[str, int]:
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                values[parts[0].rstrip(":")] = int(parts[1])
    values["USS"] = values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)
    return values


def idle_session_kb(pool: WorkerPool, sessions: int = 20) -> float:
    """App-side memory per session whose code worker has ended (idle): tracemalloc over `sessions` executors."""
    from agents.team import build_team
    from chat.service import trader_kit
    from chat.session import Session
    from core.settings import load_settings
    from runtime import build_runtime
    from standins.scripted_model import ScriptedModel

    runtime = build_runtime(load_settings({"WORKER_MEMORY_MB": str(pool.memory_mb)}, dotenv_path=None))
    build_team(trader_kit(runtime, Session(id="warm")), ScriptedModel())  # imports and caches out of the way
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    teams = [build_team(trader_kit(runtime, Session(id=f"s{i}")), ScriptedModel()) for i in range(sessions)]
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert all(e.worker is None for team in teams for e in team.executors())
    return (after - before) / sessions / 1024


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    pool = WorkerPool(memory_mb=1024, idle_s=600)

    local = LocalPythonExecutor(IMPORTS)
    local.send_tools({"quote": quote})
    sandboxed = SandboxExecutor(IMPORTS, pool)
    sandboxed.send_tools({"quote": quote})
    sandboxed("1")
    for label, code in (("plain step", STEP), ("step with one tool call", TOOL_STEP)):
        in_process = median_ms(200, lambda code=code: local(code))
        worker = median_ms(200, lambda code=code: sandboxed(code))
        rows.append((f"code step, {label}: in-process / worker", f"{in_process:.2f} / {worker:.2f} ms",
                     f"+{worker - in_process:.2f} ms median"))

    cold = []
    for _ in range(3):
        start = time.perf_counter()
        zygote = Zygote()
        zygote.fork(1024).wait_ready(120)
        cold.append((time.perf_counter() - start) * 1000)
        zygote.close()
    rows.append(("zygote cold start (spawn, import smolagents) + first worker",
                 f"{statistics.median(cold):.0f} ms", "median of 3; once per app"))
    forks = []
    for _ in range(10):
        start = time.perf_counter()
        worker = pool._fork()
        worker.wait_ready(60)
        forks.append((time.perf_counter() - start) * 1000)
        worker.release()
    rows.append(("worker cold start (fork of the zygote, confine, ready)", f"{statistics.median(forks):.1f} ms",
                 "median of 10"))

    warm = []
    for _ in range(5):
        while pool._spare is not None and pool._spare.hardening is None:
            pool._spare.wait_ready(120)  # let the spare finish warming, as it does during a model call
        start = time.perf_counter()
        fresh = SandboxExecutor(IMPORTS, pool)
        fresh.send_tools({"quote": quote})
        fresh("x = 1")
        warm.append((time.perf_counter() - start) * 1000)
        fresh.close()
    rows.append(("first step of a new session, spare ready", f"{statistics.median(warm):.1f} ms", "median of 5"))

    mem = memory_kb(sandboxed.worker.pid)
    rows.append(("active worker memory RSS / USS / PSS",
                 f"{mem['Rss'] / 1024:.1f} / {mem['USS'] / 1024:.1f} / {mem['Pss'] / 1024:.1f} MB", "after 400 steps"))
    rows.append(("idle session (team, no worker), app side", f"{idle_session_kb(pool):.0f} KB",
                 "tracemalloc, 20 teams"))

    sandboxed.close()
    pool.close()
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>28}  note")
    for label, value, note in rows:
        print(f"{label:<{width}}  {value:>28}  {note}")


if __name__ == "__main__":
    main()
