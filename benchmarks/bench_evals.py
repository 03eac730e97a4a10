"""Eval harness overhead: prints a table (no asserts; targets are in the right column).

    python benchmarks/bench_evals.py [N]

With a zero-latency scripted model, so what is measured is ours: the harness (session, turns through
ChatService, scoring, provenance check) per task, for a task answered in one manager step (target <= 200 ms),
and for a task that delegates to the trader and calls a tool against the Yahoo replay. Also the one-off start:
servers, services, and computing every expectation of the 33-task file from the recorded data.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
warnings.simplefilter("ignore")
warnings.showwarning = lambda *args, **kwargs: None  # survives libraries' catch_warnings() in other threads
logging.disable(logging.WARNING)


def main() -> None:
    from evals.expected import compute_all
    from evals.runner import eval_stack, run_task
    from evals.tasks import load_tasks
    from standins.scripted_model import ScriptedModel, code, final

    warnings.simplefilter("ignore")  # after the imports: yfinance's pandas deprecation notes are not ours
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    tasks = {t.id: t for t in load_tasks()}
    started = time.perf_counter()
    with eval_stack() as stack:
        keys = set().union(*(t.expectation_keys() for t in tasks.values()))
        expected = compute_all(stack.runtime.market, keys)
        start_s = time.perf_counter() - started

        def one_step():
            return {"manager": ScriptedModel([final("AAPL is at $244.60.")]), "web_agent": ScriptedModel(),
                    "trader": ScriptedModel()}

        def with_tool():
            return {"manager": ScriptedModel([code('r = trader(task="AAPL")\nprint(r)'), code("final_answer(r)")]),
                    "web_agent": ScriptedModel(),
                    "trader": ScriptedModel([code('out = stock_quote(symbol="AAPL")\nprint(out)'),
                                             code("final_answer(out)")])}

        rows = []
        for label, factory in (("one manager step (final answer)", one_step),
                               ("manager → trader → stock_quote → answer (4 steps)", with_tool)):
            chat = stack.chat(factory)
            samples = []
            for n in range(runs + 2):
                t0 = time.perf_counter()
                run_task(stack, chat, tasks["quote-aapl-price"], expected, run=n)
                if n >= 2:  # the first runs warm caches (quote, imports)
                    samples.append(time.perf_counter() - t0)
            rows.append((label, statistics.median(samples), max(samples)))
    print(f"{runs} runs each; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| per task, zero-latency scripted model | median | max | target |")
    print("|---|---:|---:|---|")
    for label, median, worst in rows:
        target = "<= 200 ms" if label.startswith("one") else ""
        print(f"| {label} | {median * 1000:.0f} ms | {worst * 1000:.0f} ms | {target} |")
    print(f"| start: servers, services, {len(keys)} expectations from the recorded data "
          f"| {start_s * 1000:.0f} ms | | |")


if __name__ == "__main__":
    main()
