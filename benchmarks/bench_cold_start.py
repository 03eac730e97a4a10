"""Cold start (issue 24): this app and smolagents' GradioUI side by side, in one run. Prints a table.

    python benchmarks/bench_cold_start.py [--rounds 3]

Both apps talk to the same OpenAI-compatible server on 127.0.0.1 that streams (a scripted reply in 5 chunks over
0.5 s), each app as its own `python` process started from nothing, each turn from a new gradio_client (a new
visitor). Measured per app and round:

1. start → first HTTP answer: from spawning the process until `GET /` answers;
2. first visitor right after start: submit → the model is asked (the server's clock when the request arrives);
3. warm: submit → the model is asked, the median of 10 further turns, each from a new client;
4. warm: the model's first chunk written → visible to the client (the first streamed output holding its words).

Each figure is the median over `--rounds` starts; ratios are this app's figure over GradioUI's from the same run.
Both run with PYTHONDONTWRITEBYTECODE=1 from sources compiled once before the first start (`compileall`), as the
Dockerfile ships them: pip compiled GradioUI's libraries when it installed them, so without this step only this
app would compile its modules on every start.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"

from gradio_client import Client  # noqa: E402

from standins.live_app import free_port  # noqa: E402
from standins.openai_compat import OpenAICompatServer  # noqa: E402

MARKER = "ZEBRA"  # the first streamed chunk holds it; the client sees the model's words when it sees this
REPLY = f"Thought: {MARKER} answering now, as asked by the benchmark.\n<code>\nfinal_answer(\"done\")\n</code>"
WARM_TURNS = 10
ENDPOINTS = {"ours": "/chat", "gradioui": "/_stream_response"}


class ModelServer:
    """The streaming server, recording when each request arrived (monotonic clock, shared by every process)."""

    def __init__(self):
        self.arrivals: list[float] = []
        self.server = OpenAICompatServer(self._reply, chunks=5, stream_seconds=0.5)

    def _reply(self, messages):
        self.arrivals.append(time.monotonic())
        return REPLY

    def __enter__(self):
        self.server.__enter__()
        return self

    def __exit__(self, *exc):
        self.server.__exit__(*exc)


def command(app: str, port: int, api_base: str, data_dir: str) -> tuple[list[str], dict]:
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", MODEL_BACKEND="openai",
               MODEL_ID="scripted", OPENAI_API_BASE=api_base, OPENAI_API_KEY="sk-bench", DATA_DIR=data_dir,
               PYTHONDONTWRITEBYTECODE="1")
    if app == "ours":
        return [sys.executable, "app.py"], env
    return [sys.executable, str(ROOT / "benchmarks" / "gradioui_app.py"), "--port", str(port),
            "--api-base", api_base], env


def wait_for_http(port: int, start: float, limit_s: float = 120.0) -> float:
    while time.monotonic() - start < limit_s:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return time.monotonic() - start
        except Exception:
            time.sleep(0.01)
    raise RuntimeError("the app did not answer HTTP in time")


def one_turn(url: str, app: str, model: ModelServer) -> tuple[float, float | None]:
    """A new visitor sends one message: (submit → model asked, model's first chunk → visible to the client)."""
    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    completions_before = len(model.server.completions)
    arrivals_before = len(model.arrivals)
    args = ("What is AAPL doing?",) if app == "ours" else ("What is AAPL doing?",)
    submitted = time.monotonic()
    job = client.submit(*args, api_name=ENDPOINTS[app])
    seen = None
    while not job.done():
        if seen is None and MARKER in str(job.outputs()[-1:] or ""):
            seen = time.monotonic()
        time.sleep(0.0005)
    job.result()
    if seen is None and MARKER in str(job.outputs()):
        seen = time.monotonic()
    asked = model.arrivals[arrivals_before] - submitted
    first_chunk = model.server.completions[completions_before].first_chunk_at
    visible = (seen - first_chunk) if seen is not None and first_chunk is not None else None
    client.close()
    return asked, visible


def one_start(app: str, model: ModelServer) -> dict:
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        argv, env = command(app, port, model.server.url, data_dir)
        start = time.monotonic()
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            startup = wait_for_http(port, start)
            url = f"http://127.0.0.1:{port}/"
            cold_asked, _ = one_turn(url, app, model)
            warm = [one_turn(url, app, model) for _ in range(WARM_TURNS)]
        finally:
            proc.terminate()
            proc.wait(20)
    return {"startup": startup, "cold": cold_asked, "warm": statistics.median(a for a, _ in warm),
            "visible": statistics.median(v for _, v in warm if v is not None)}


def compile_sources() -> None:
    """Both apps' own modules compiled to __pycache__ (git ignores it), as the Dockerfile does at build time."""
    import compileall

    compileall.compile_dir(str(ROOT), quiet=1, workers=0, rx=re.compile(r"(^|/)(tests|site|docs|\.git)/"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {"ours": [], "gradioui": []}
    compile_sources()
    with ModelServer() as model:
        for _ in range(args.rounds):
            for app in ("gradioui", "ours"):  # in turn, so drift in the machine's speed hits both alike
                runs[app].append(one_start(app, model))

    def med(app: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[app])

    def rng(app: str, key: str, scale: float, unit: str) -> str:
        values = [r[key] * scale for r in runs[app]]
        fmt = "{:.2f}" if unit == "s" else "{:.0f}"
        return f"{fmt.format(statistics.median(values))} {unit} ({fmt.format(min(values))}–{fmt.format(max(values))})"

    rows = [("start → first HTTP answer", "startup", 1, "s", "≤ 1.0× GradioUI"),
            ("first visitor right after start: submit → model asked", "cold", 1000, "ms", "≤ 300 ms"),
            (f"warm: submit → model asked (median of {WARM_TURNS}, new client each)", "warm", 1000, "ms",
             "≤ 1.0× GradioUI"),
            ("warm: model's first chunk → visible to the client", "visible", 1000, "ms", "≤ 50 ms")]
    print(f"Cold start, {args.rounds} starts of each app, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores")
    print("| measure | Smol Trader | GradioUI | ratio | target |")
    print("|---|---|---|---|---|")
    for label, key, scale, unit, target in rows:
        ratio = med("ours", key) / med("gradioui", key)
        print(f"| {label} | {rng('ours', key, scale, unit)} | {rng('gradioui', key, scale, unit)} | "
              f"{ratio:.2f}× | {target} |")


if __name__ == "__main__":
    threading.excepthook = lambda args: None  # a client's reader thread ending with its process is not news
    main()
