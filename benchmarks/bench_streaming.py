"""Streaming benchmarks (issue 11). Prints a table; never part of the test suite.

    python benchmarks/bench_streaming.py

1. Time from the model's first streamed chunk to those words being visible to a `gradio_client` client of `/chat`
   (target ≤ 300 ms), with a scripted OpenAI-compatible server streaming each reply in 20 chunks over 2 s, through
   the real app and smolagents' real `OpenAIModel`.
2. 32 concurrent sessions × 3 steps × 300 ms in-process through ChatService, with whole responses (as before
   streaming) and with every reply streamed in 20 chunks (target: within 10%).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

from gradio_client import Client  # noqa: E402

from standins.live_app import running_app  # noqa: E402
from standins.openai_compat import OpenAICompatServer, pieces  # noqa: E402
from standins.scripted_model import ScriptedModel, Slow, StreamingScriptedModel, code, final  # noqa: E402

FIRST = code("print(1)", "Streaming words that the person should see at once, long before the model is done.")


def bench_first_words(tmp: Path, runs: int = 5) -> list[float]:
    def script(messages):
        start = max((i for i, m in enumerate(messages) if "New task" in str(m.get("content"))), default=0)
        assistant = sum(1 for m in messages[start:] if m.get("role") == "assistant")
        return FIRST if assistant == 0 else final("done")

    lags, first_chunk = [], pieces(FIRST, 20)[0]
    with OpenAICompatServer(script, chunks=20, stream_seconds=2.0) as server, \
            running_app(tmp, None, OPENAI_API_BASE=server.url, MODEL_ID="scripted") as (url, _stack, _ui):
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        client.predict("warm up", api_name="/chat")
        for _ in range(runs):
            server.completions.clear()
            job = client.submit("go", api_name="/chat")
            seen = None
            while not job.done():
                outputs = job.outputs()
                if outputs and any(m["kind"] == "step" and first_chunk in m["content"] for m in outputs[-1]):
                    seen = time.monotonic()
                    break
                time.sleep(0.002)
            job.result()
            lags.append(seen - server.completions[0].first_chunk_at)
    return lags


def bench_sessions(tmp: Path, model_class, sessions: int = 32) -> float:
    from chat.service import ChatService
    from chat.session import Session
    from runtime import build_runtime
    from standins.stack import settings_for

    settings = settings_for(PAPER_LEDGER_PATH=tmp / f"ledger-{model_class.__name__}.sqlite3",
                            DATA_DIR=tmp / f"data-{model_class.__name__}")
    chat = ChatService(build_runtime(settings), model_factory=lambda: {
        "manager": model_class([Slow(0.3, code("print(1)")), Slow(0.3, code("print(2)")), Slow(0.3, final("ok"))]),
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


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        lags = bench_first_words(tmp / "latency")
        whole = [bench_sessions(tmp, ScriptedModel) for _ in range(3)]
        streamed = [bench_sessions(tmp, StreamingScriptedModel) for _ in range(3)]
    print("| measure | result | target |")
    print("|---|---|---|")
    print(f"| model's first chunk → words visible to a gradio_client `/chat` client (median of {len(lags)}) | "
          f"{statistics.median(lags) * 1000:.0f} ms (max {max(lags) * 1000:.0f}) | ≤ 300 ms |")
    print(f"| 32 sessions × 3 steps × 300 ms in-process, whole responses (median of 3) | "
          f"{statistics.median(whole):.2f} s | |")
    print(f"| the same, every reply streamed in 20 chunks (median of 3) | {statistics.median(streamed):.2f} s "
          f"({statistics.median(streamed) / statistics.median(whole) - 1:+.0%}) | within 10% |")


if __name__ == "__main__":
    main()
