"""Chat app benchmarks (issue 2). Prints a table; never part of the test suite.

    python benchmarks/bench_chat.py

1. Startup: seconds from `python app.py` to the server answering HTTP.
2. Submit -> first streamed message, and per-step overhead, with a zero-latency scripted
   model: ours (/chat) and smolagents' stock GradioUI driving the same agent steps, in one run,
   both measured the same way through gradio_client against a real local server.
3. 32 concurrent sessions, scripted model with 300 ms per call, 3 steps each: wall time
   (ideal ~0.9 s) through the real server, each person a separate process; next to it the floor
   (a bare Gradio endpoint that only sleeps, under the same load) and our code alone, in-process.
4. Memory per idle session (team built, one turn done), from tracemalloc.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

from gradio_client import Client  # noqa: E402

from standins.live_app import free_port  # noqa: E402
from standins.scripted_model import ScriptedModel, final  # noqa: E402

STEPS = 20


def client(url):
    return Client(url, verbose=False, analytics_enabled=False, download_files=False)


def first_and_total(c: Client, message: str, api_name: str) -> tuple[float, float]:
    start = time.perf_counter()
    job = c.submit(message, api_name=api_name)
    first = None
    while not job.done():
        if first is None and job.outputs():
            first = time.perf_counter() - start
        time.sleep(0.0005)
    job.result()
    total = time.perf_counter() - start
    return (first if first is not None else total), total


def bench_startup() -> float:
    port = free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < 120:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                return time.perf_counter() - start
            except Exception:
                time.sleep(0.05)
        return float("nan")
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def scripted_server(app: str, steps: int, latency_s: float = 0.0):
    """benchmarks/scripted_server.py in its own process (so our clients don't share its GIL); yields its URL."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "scripted_server.py"), "--app", app,
                             "--port", str(port), "--steps", str(steps), "--latency", str(latency_s)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(10)


ENDPOINTS = {"ours": "/chat", "gradioui": "/_stream_response"}  # GradioUI's ChatInterface endpoint


def bench_latency() -> dict:
    results = {}
    for app in ("ours", "gradioui"):
        with scripted_server(app, steps=1) as url:
            first_and_total(client(url), "warm up", ENDPOINTS[app])
            firsts = [first_and_total(client(url), "hello", ENDPOINTS[app])[0] for _ in range(7)]
        with scripted_server(app, steps=STEPS) as url:
            first_and_total(client(url), "warm up", ENDPOINTS[app])
            totals = [first_and_total(client(url), "steps", ENDPOINTS[app])[1] for _ in range(5)]
        results[app] = (statistics.median(firsts), statistics.median(totals) / STEPS)
    return results


def _one_person(url: str, go, ready, results) -> None:
    """One simulated person in their own process: connect, wait for the common start, send, read the answer."""
    c = client(url)
    ready.put(True)
    go.wait()
    result = c.submit("go", api_name="/chat").result(timeout=120)
    results.put((time.time(), result[-1]["kind"], result[-1]["content"]))


def bench_concurrency(sessions: int = 32, app: str = "ours") -> tuple[float, int]:
    """Wall time from a common start until the last of `sessions` people has the whole answer.

    Each person is a separate process with its own gradio_client, so the load generator does not
    serialize the clients on one GIL (in one process, 32 clients alone cost ~1 s).
    """
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with scripted_server(app, steps=3, latency_s=0.3) as url:
        client(url).predict("warm up", api_name="/chat")
        go, ready, results = ctx.Event(), ctx.Queue(), ctx.Queue()
        people = [ctx.Process(target=_one_person, args=(url, go, ready, results)) for _ in range(sessions)]
        for person in people:
            person.start()
        for _ in people:
            ready.get(timeout=120)
        time.sleep(0.5)
        start = time.time()
        go.set()
        finished = [results.get(timeout=120) for _ in people]
        for person in people:
            person.join(10)
    answered = sum(1 for _, kind, content in finished if kind in ("final", "trace") or content == "done")
    return max(end for end, _, _ in finished) - start, answered


def bench_concurrency_in_process(tmp: Path, sessions: int = 32) -> float:
    """The same 32 sessions through ChatService directly (our code only, no HTTP, no client processes)."""
    from chat.service import ChatService
    from chat.session import Session
    from runtime import build_runtime
    from standins.scripted_model import Slow, code
    from standins.stack import settings_for

    settings = settings_for(PAPER_LEDGER_PATH=tmp / "ledger-inproc.sqlite3", DATA_DIR=tmp / "data-inproc")
    chat = ChatService(build_runtime(settings), model_factory=lambda: {
        "manager": ScriptedModel([Slow(0.3, code("print(1)")), Slow(0.3, code("print(2)")), Slow(0.3, final("ok"))]),
        "web_agent": ScriptedModel(), "trader": ScriptedModel()})
    list(chat.respond(Session(id="warm"), "go"))
    threads = [threading.Thread(target=lambda i=i: list(chat.respond(Session(id=f"p{i}"), "go")))
               for i in range(sessions)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def bench_memory(tmp: Path, sessions: int = 100) -> float:
    from chat.service import ChatService
    from chat.session import Session
    from runtime import build_runtime
    from standins.stack import settings_for

    settings = settings_for(PAPER_LEDGER_PATH=tmp / "ledger3.sqlite3", DATA_DIR=tmp / "data-memory")
    chat = ChatService(build_runtime(settings), model_factory=lambda: {
        "manager": ScriptedModel([final("ok")]), "web_agent": ScriptedModel(), "trader": ScriptedModel()})
    warm = Session(id="warm")
    list(chat.respond(warm, "hi"))
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    kept = []
    for i in range(sessions):
        session = Session(id=f"s{i}")
        list(chat.respond(session, "hi"))
        kept.append(session)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return grown / sessions / 1e6


def concurrency_only(rounds: int) -> None:
    """Issue 24's row alone: 32 sessions through HTTP against the bare-Gradio floor, alternating, `rounds` times."""
    rows = []
    for _ in range(rounds):
        wall, answered = bench_concurrency()
        floor, _ = bench_concurrency(app="bare")
        rows.append((wall, floor, answered))
    print("| round | Smol Trader (32 × 3 × 300 ms, HTTP) | bare-Gradio floor | ratio | target |")
    print("|---|---|---|---|---|")
    for i, (wall, floor, answered) in enumerate(rows, 1):
        print(f"| {i} | {wall:.2f} s ({answered}/32) | {floor:.2f} s | {wall / floor:.2f}× | ≤ 1.2× |")
    ratios = sorted(wall / floor for wall, floor, _ in rows)
    print(f"| median | | | {ratios[len(ratios) // 2]:.2f}× | ≤ 1.2× |")


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency-only", type=int, metavar="ROUNDS", default=0,
                        help="only the 32-session row against the bare-Gradio floor, this many rounds")
    args = parser.parse_args()
    if args.concurrency_only:
        concurrency_only(args.concurrency_only)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        startup = bench_startup()
        latency = bench_latency()
        wall, answered = bench_concurrency()
        floor, _ = bench_concurrency(app="bare")
        in_process = bench_concurrency_in_process(tmp)
        memory = bench_memory(tmp)
    ours, stock = latency["ours"], latency["gradioui"]
    print("| measure | Smol Trader | smolagents GradioUI | target |")
    print("|---|---|---|---|")
    print(f"| startup: `python app.py` to HTTP answer | {startup:.2f} s | | |")
    print(f"| submit → first streamed message (median of 7, zero-latency model) | {ours[0]*1000:.0f} ms "
          f"| {stock[0]*1000:.0f} ms | ≤ 100 ms, no slower than GradioUI |")
    print(f"| per-step overhead ({STEPS}-step turn, median of 5) | {ours[1]*1000:.1f} ms "
          f"| {stock[1]*1000:.1f} ms | |")
    print(f"| 32 concurrent sessions × 3 steps × 300 ms ({answered}/32 answered) | {wall:.2f} s | "
          "| ≤ 1.5 s (ideal 0.9 s) |")
    print(f"| the floor: a bare Gradio endpoint that only sleeps 3 × 300 ms, same load | {floor:.2f} s | | |")
    print(f"| the same, in-process through ChatService (our code only) | {in_process:.2f} s | | |")
    print(f"| memory per idle session (team built, one turn) | {memory:.2f} MB | | ≤ 5 MB |")


if __name__ == "__main__":
    main()
