"""Figure provenance benchmark: prints a table (no asserts; targets are in the right column).

    python benchmarks/bench_provenance.py

An answer of 2,000 characters (about 40 figures, a few of them invented) checked against 50 observations
of 4 kB each (price-history tables, quotes and printed results in the tools' own formats: about 25,000
numbers). Three timings: indexing the 50 observations (done step by step while the turn runs, so it is
spread over the turn), the check at the final answer (what the person waits for; target <= 5 ms median),
and both from cold.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from provenance import ObservationIndex, check_answer  # noqa: E402


def observation(rng: random.Random, n: int) -> str:
    price = rng.uniform(20, 900)
    lines = [f"SYM{n} 1d bars from 2024-11-20 to 2025-11-20 (252 bars; source Yahoo Finance, adjusted)",
             f"Close {price:,.2f} -> {price * 1.18:,.2f} (+18.00%); high {price * 1.3:,.2f}, low {price * 0.8:,.2f}",
             "date | open | high | low | close | volume"]
    day = 1
    while sum(len(line) + 1 for line in lines) < 3900:
        price *= rng.uniform(0.97, 1.03)
        lines.append(f"2025-{1 + day // 28:02d}-{1 + day % 28:02d} | {price:.2f} | {price * 1.01:.2f} | "
                     f"{price * 0.99:.2f} | {price * 1.002:.2f} | {rng.uniform(10, 90):.2f}M")
        day += 1
    lines.append(f"Market cap {rng.uniform(1, 3):.2f}T; data time 2025-11-20 21:00 UTC (delayed 15 min)")
    return "\n".join(lines)[:4096]


def answer_from(rng: random.Random, observations: list[str]) -> str:
    parts = []
    while sum(len(p) + 1 for p in parts) < 1950:
        source = rng.choice(observations).splitlines()
        row = rng.choice(source[3:-1]).split(" | ")
        close = float(row[4])
        if rng.random() < 0.1:
            parts.append(f"A target of ${close * 1.37:,.2f} is not from a tool.")
        else:
            parts.append(f"On {row[0]} it closed at ${close:,.2f} (about ${round(close):,}), volume {row[5]}.")
    return " ".join(parts)[:2000]


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.2f} ms"


def main() -> None:
    rng = random.Random(7)
    observations = [observation(rng, n) for n in range(50)]
    answer = answer_from(rng, observations)

    def build() -> ObservationIndex:
        index = ObservationIndex()
        for n, text in enumerate(observations):
            index.add(text, step=f"trader · step {n + 1}", tool="price_history")
        return index

    index = build()
    report = check_answer(answer, index)
    wall: dict[str, list[float]] = {"check": [], "index": [], "cold": []}
    cpu: dict[str, list[float]] = {"check": [], "index": [], "cold": []}
    for _ in range(60):
        started, started_cpu = time.perf_counter(), time.thread_time()
        fresh = build()
        wall["index"].append(time.perf_counter() - started)
        cpu["index"].append(time.thread_time() - started_cpu)
        started, started_cpu = time.perf_counter(), time.thread_time()
        check_answer(answer, fresh)
        wall["check"].append(time.perf_counter() - started)
        cpu["check"].append(time.thread_time() - started_cpu)
        wall["cold"].append(wall["index"][-1] + wall["check"][-1])
        cpu["cold"].append(cpu["index"][-1] + cpu["check"][-1])
    print(f"answer {len(answer)} characters, {report.total} figures ({report.traced} traced); "
          f"{len(observations)} observations of {min(map(len, observations))}-{max(map(len, observations))} "
          f"characters, {index.size:,} numbers; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| what | median wall | median CPU | fastest CPU | target |")
    print("|---|---:|---:|---:|---|")
    rows = (("check", "check the answer at the final step (index built as steps finished)", "<= 5 ms"),
            ("index", "index 50 observations (spread over the turn, one per step)", ""),
            ("cold", "cold: index + check", ""))
    for key, label, target in rows:
        print(f"| {label} | {median_ms(wall[key])} | {median_ms(cpu[key])} "
              f"| {min(cpu[key]) * 1000:.2f} ms | {target} |")


if __name__ == "__main__":
    main()
