"""Chat app benchmarks (issue 2). Prints a table; never part of the test suite.

    python benchmarks/bench_chat.py

1. Startup: seconds from `python app.py` to the server answering HTTP.
2. Submit -> first streamed message, and per-step overhead, with a zero-latency scripted
   model: ours (/chat) and smolagents' stock GradioUI driving the same agent steps, in one run,
   both measured the same way through gradio_client against a real local server.
3. 32 concurrent sessions, scripted model with 300 ms per call, 3 steps each: wall time
   (ideal ~0.9 s) through the real server.
4. Memory per idle session (team built, one turn done), from tracemalloc.
"""

from __future__ import annotations

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

from tests.live_app import free_port  # noqa: E402
from tests.scripted_model import ScriptedModel, Slow, code, final  # noqa: E402

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


def steps_script(n: int) -> list:
    return [code(f"x = {i}\nprint(x)") for i in range(n - 1)] + [final("done")]


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


def launch(demo) -> str:
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False)
    return f"http://127.0.0.1:{port}/"


def bench_latency(tmp: Path) -> dict:
    import app
    from smolagents import CodeAgent, GradioUI

    from tests.harness import settings_for
    from agents.services import build_services

    results = {}
    # Ours: one step (final answer right away) for first-message latency, STEPS steps for overhead.
    scripts = iter([[final("hi")] * 1] * 5 + [steps_script(STEPS)] * 5)
    lock = threading.Lock()

    def factory():
        with lock:
            script = next(scripts)
        return {"manager": ScriptedModel(script), "web_agent": ScriptedModel(), "trader": ScriptedModel()}

    settings = settings_for(PAPER_LEDGER_PATH=tmp / "ledger.sqlite3")
    demo = app.create_app(settings, build_services(settings), model_factory=factory)
    url = launch(demo)
    firsts = [first_and_total(client(url), "hello", "/chat")[0] for _ in range(5)]
    totals = [first_and_total(client(url), "steps", "/chat")[1] for _ in range(5)]
    demo.close()
    results["ours"] = (statistics.median(firsts), statistics.median(totals) / STEPS)

    # smolagents' GradioUI over a CodeAgent running the same steps.
    gradio_scripts = iter([[final("hi")]] * 5 + [steps_script(STEPS)] * 5)
    agent = CodeAgent(tools=[], model=ScriptedModel(), verbosity_level=0)

    ui = GradioUI(agent, reset_agent_memory=True)
    stock = ui.create_app()
    url = launch(stock)

    def run_stock(message):
        agent.model = ScriptedModel(next(gradio_scripts))
        return first_and_total(client(url), message, "/_stream_response")  # ChatInterface's endpoint

    firsts = [run_stock("hello")[0] for _ in range(5)]
    totals = [run_stock("steps")[1] for _ in range(5)]
    stock.close()
    results["GradioUI"] = (statistics.median(firsts), statistics.median(totals) / STEPS)
    return results


def bench_concurrency(tmp: Path, sessions: int = 32) -> float:
    import app
    from agents.services import build_services
    from tests.harness import settings_for

    def factory():
        script = [Slow(0.3, code("print(1)")), Slow(0.3, code("print(2)")), Slow(0.3, final("ok"))]
        return {"manager": ScriptedModel(script), "web_agent": ScriptedModel(), "trader": ScriptedModel()}

    settings = settings_for(PAPER_LEDGER_PATH=tmp / "ledger2.sqlite3", CONCURRENCY_LIMIT=64)
    demo = app.create_app(settings, build_services(settings), model_factory=factory)
    url = launch(demo)
    clients = [client(url) for _ in range(sessions)]
    start = time.perf_counter()
    jobs = [c.submit("go", api_name="/chat") for c in clients]
    for job in jobs:
        result = job.result(timeout=120)
        assert result[-1]["content"] == "ok", result[-1]
    wall = time.perf_counter() - start
    demo.close()
    return wall


def bench_memory(tmp: Path, sessions: int = 100) -> float:
    from agents.chat import ChatService
    from agents.services import build_services
    from agents.session import Session
    from tests.harness import settings_for

    settings = settings_for(PAPER_LEDGER_PATH=tmp / "ledger3.sqlite3")
    chat = ChatService(build_services(settings), model_factory=lambda: {
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


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        startup = bench_startup()
        latency = bench_latency(tmp)
        wall = bench_concurrency(tmp)
        memory = bench_memory(tmp)
    ours, stock = latency["ours"], latency["GradioUI"]
    print("| measure | Smol Trader | smolagents GradioUI | target |")
    print("|---|---|---|---|")
    print(f"| startup: `python app.py` to HTTP answer | {startup:.2f} s | | |")
    print(f"| submit → first streamed message (median of 5, zero-latency model) | {ours[0]*1000:.0f} ms "
          f"| {stock[0]*1000:.0f} ms | ≤ 100 ms, no slower than GradioUI |")
    print(f"| per-step overhead ({STEPS}-step turn, median of 5) | {ours[1]*1000:.1f} ms "
          f"| {stock[1]*1000:.1f} ms | |")
    print(f"| 32 concurrent sessions × 3 steps × 300 ms | {wall:.2f} s | | ≤ 1.5 s (ideal 0.9 s) |")
    print(f"| memory per idle session (team built, one turn) | {memory:.2f} MB | | ≤ 5 MB |")


if __name__ == "__main__":
    main()
