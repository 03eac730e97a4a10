"""Model-call benchmark: request tokens per step (prompt sizes) and the added cost of the context budget per step.

    python benchmarks/bench_models.py [--window 8192] [--turns 10] [--steps 3] [--llama-url http://127.0.0.1:8080]

A conversation shaped like the manager's memory (its real system prompt size, 11,192 characters; each turn a task,
then `--steps` code steps with ~3,000-character observations) grows turn by turn. For each request the table gives
the memory's size, what is sent after fitting (agents/context_budget.fit) and how long fitting took. With
`--llama-url` (a running llama-server) each fitted request is also counted by the server's own tokenizer
(`/tokenize`), so the estimate can be checked against the truth.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
warnings.simplefilter("ignore")

from smolagents.models import ChatMessage, MessageRole  # noqa: E402

from agents.context_budget import TokenCounter, fit, text_of  # noqa: E402

SYSTEM_CHARS = 11_192  # the manager's system prompt (tests/test_prompt_size.py prints it)
OUTPUT_CAP = 1536  # the manager's MODEL_MAX_OUTPUT_TOKENS default


def msg(role: str, text: str) -> ChatMessage:
    return ChatMessage(role=MessageRole(role), content=[{"type": "text", "text": text}])


def real_tokens(url: str, messages: list) -> int:
    import requests

    text = "\n".join(text_of(m) for m in messages)
    return len(requests.post(f"{url}/tokenize", json={"content": text}, timeout=30).json()["tokens"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--window", type=int, default=8192)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--llama-url", default="")
    args = parser.parse_args()
    counter = TokenCounter()
    budget = args.window - OUTPUT_CAP - 64
    system = msg("system", ("You are the manager of a stock-market team; write Python code. " * 200)[:SYSTEM_CHARS])
    memory = [system]
    observation = "Observation:\n" + "AAPL 2026-12-04 close 123.45 volume 51,234,000 rsi 61.2\n" * 54
    print(f"window {args.window:,} tokens, output cap {OUTPUT_CAP:,}, budget {budget:,} for the request")
    header = "| turn.step | memory (est. tokens) | sent (est. tokens) | sent (server tokens) | fit (ms) |"
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    costs, sent_sizes = [], []
    for turn in range(1, args.turns + 1):
        memory.append(msg("user", f"New task:\nMessage {turn}: how is AAPL doing compared with MSFT this week?"))
        for step in range(1, args.steps + 1):
            started = time.perf_counter()
            sent = fit(memory, budget, counter, window=args.window)
            cost = (time.perf_counter() - started) * 1000
            costs.append(cost)
            sent_sizes.append(counter.total(sent))
            server = str(real_tokens(args.llama_url, sent)) if args.llama_url else "-"
            print(f"| {turn:>4}.{step:<4} | {counter.total(memory):>19,} | {counter.total(sent):>18,} | "
                  f"{server:>20} | {cost:>8.2f} |")
            memory.append(msg("assistant", f"Thought: step {step}.\n<code>\nprint(trader(task='Quote AAPL'))\n"
                                           "</code>"))
            memory.append(msg("tool-response", observation))
    print(f"\nfit per step: median {statistics.median(costs):.2f} ms, max {max(costs):.2f} ms; "
          f"largest request {max(sent_sizes):,} est. tokens (budget {budget:,})")


if __name__ == "__main__":
    main()
