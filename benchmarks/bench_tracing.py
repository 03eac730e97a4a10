"""Tracing benchmark (issue 5). Prints a table; never part of the test suite.

    python benchmarks/bench_tracing.py [turns]

Turn latency (a manager CodeAgent delegating to a ToolCallingAgent with one
tool, 4 LLM calls answered instantly by ScriptedModel, 14 spans per turn) with
tracing off, and with the real OTLP exporter sending to a 127.0.0.1 receiver
that is healthy, refusing (401), slow (answers after 5 s) or down (nothing
listening). Production settings: export timeout 5 s, batches every 1 s.
A 100 ms pause between turns (a person reading) lets the background exports,
retries and timeouts overlap with the following turns. Also: the time
`shutdown()` takes (bounded), the warnings logged, and payload size per turn.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
for name in ("LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY", "OTEL_EXPORTER_OTLP_ENDPOINT",
             "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS"):
    os.environ.pop(name, None)

from standins.otlp import OTLPReceiver  # noqa: E402
from standins.telemetry_team import build_team, settings_for  # noqa: E402
from telemetry import Tracing  # noqa: E402

PAUSE_S = 0.1


class CountWarnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        self.messages.append(f"{record.name}: {record.getMessage()[:160]}")


def run(mode: str, turns: int) -> dict:
    counter = CountWarnings()
    logging.getLogger().addHandler(counter)
    try:
        with OTLPReceiver(mode="ok" if mode == "off" else mode, slow_seconds=5.0) as receiver:
            env = {} if mode == "off" else {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.base_url}
            tracing = Tracing.from_settings(settings_for(env))
            latencies = []
            for number in range(turns):
                team = build_team()
                start = time.perf_counter()
                with tracing.turn(f"bench-{mode}", None, f"turn {number}") as trace:
                    trace.set_output(team.run(f"turn {number}"))
                latencies.append((time.perf_counter() - start) * 1000)
                time.sleep(PAUSE_S)
            start = time.perf_counter()
            finished = tracing.shutdown()
            shutdown_s = time.perf_counter() - start
            received = receiver.raw_bytes()
            base_url = receiver.base_url
            spans = len(receiver.spans())
    finally:
        logging.getLogger().removeHandler(counter)
    latencies.sort()
    # A previous state's export thread (slow backend, after shutdown gave up) may still report: not ours.
    messages = [m for m in counter.messages if base_url in m or "127.0.0.1:" not in m]
    return {
        "mode": mode,
        "median": statistics.median(latencies),
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
        "max": latencies[-1],
        "shutdown": shutdown_s,
        "shutdown_done": finished,
        "warnings": len(messages),
        "messages": messages,
        "spans": spans,
        "bytes_per_turn": len(received) / turns if mode in ("off", "ok") else 0,
    }


def main() -> None:
    turns = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    run("off", 3)  # warm-up: imports, first agent construction
    rows = [run(mode, turns) for mode in ("off", "ok", "401", "slow", "down")]
    print(f"\nTurn latency with tracing, {turns} turns per backend state (ms; 14 spans per turn)\n")
    print("| backend | median | p95 | max | shutdown() s | warnings | spans received | bytes/turn |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        shutdown = f"{r['shutdown']:.2f}" + ("" if r["shutdown_done"] else " (gave up)")
        print(f"| {r['mode']} | {r['median']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | {shutdown} | "
              f"{r['warnings']} | {r['spans']} | {r['bytes_per_turn']:.0f} |")
    print("\nWarnings logged:")
    for r in rows:
        for message in r["messages"]:
            print(f"- {r['mode']}: {message}")


if __name__ == "__main__":
    main()
