"""Serve Smol Trader or smolagents' stock GradioUI with a scripted model, in its own process, for benchmarks.

    python benchmarks/scripted_server.py --app ours|gradioui --port 7861 --steps 3 --latency 0.3
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

from standins.scripted_model import ScriptedModel, Slow, code, final  # noqa: E402


def steps_reply(steps: int, latency_s: float):
    """A stateless script: the k-th model call of the current task answers step k (the last one answers)."""

    def reply(messages):
        texts = [str(m.content) for m in messages]
        start = max((i for i, t in enumerate(texts) if "New task" in t), default=0)
        k = sum(1 for m in messages[start:] if getattr(m, "role", None) == "assistant")
        answer = final("done") if k >= steps - 1 else code(f"x = {k}\nprint(x)")
        return Slow(latency_s, answer) if latency_s else answer

    return reply


def bare_endpoint(steps: int, latency_s: float):
    """The floor: a Gradio `/chat` API endpoint that only sleeps like the model and streams one snapshot per step."""
    import gradio as gr

    def chat(message: str) -> Iterator[list[dict]]:
        out = []
        for i in range(steps):
            out.append({"role": "assistant", "kind": "step", "content": f"step {i}"})
            yield list(out)
            time.sleep(latency_s)
        out.append({"role": "assistant", "kind": "final", "content": "done"})
        yield list(out)

    with gr.Blocks() as demo:
        gr.api(chat, api_name="chat")
    demo.queue(default_concurrency_limit=64)
    return demo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", choices=["ours", "gradioui", "bare"], default="ours")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--database-url", default="", help="postgresql://… (default: SQLite files in a temp dir)")
    args = parser.parse_args()
    reply = steps_reply(args.steps, args.latency)

    def model():
        return ScriptedModel(default=reply)

    if args.app == "bare":
        demo = bare_endpoint(args.steps, args.latency)
        demo.launch(server_name="127.0.0.1", server_port=args.port, prevent_thread_lock=True, quiet=True,
                    ssr_mode=False, max_threads=200)
    elif args.app == "ours":
        import app
        from runtime import build_runtime
        from standins.stack import settings_for

        scratch = Path(tempfile.mkdtemp())  # workspaces, usage and the ledger never land in the repo
        settings = settings_for(PAPER_LEDGER_PATH=scratch / "ledger.sqlite3", DATA_DIR=scratch / "data",
                                CONCURRENCY_LIMIT=64, MANAGER_MAX_STEPS=args.steps + 2,
                                # every simulated person comes from 127.0.0.1: one address's daily allowance of
                                # new anonymous workspaces (50) would refuse the 51st
                                ANON_WORKSPACES_PER_ADDRESS_DAY=100_000,
                                **({"DATABASE_URL": args.database_url} if args.database_url else {}))
        ui = app.SmolTraderApp(settings, build_runtime(settings),
                               model_factory=lambda: {"manager": model(), "web_agent": model(), "trader": model()})
        ui.start()
        # served as `python app.py` serves: the warm-up runs once the server answers, then the collector resumes
        ui.launch(server_name="127.0.0.1", server_port=args.port, prevent_thread_lock=True, quiet=True,
                  max_threads=200)
        app.collect_from_now_on()
        ui.runtime.warmup.done.wait(120)  # a steady state: the warm-up's imports never land inside a measurement
    else:
        from smolagents import CodeAgent, GradioUI

        agent = CodeAgent(tools=[], model=model(), verbosity_level=0, max_steps=args.steps + 2)
        demo = GradioUI(agent, reset_agent_memory=True).create_app()
        demo.queue(default_concurrency_limit=64)
        demo.launch(server_name="127.0.0.1", server_port=args.port, prevent_thread_lock=True, quiet=True,
                    ssr_mode=False, max_threads=200)
    print("ready", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
