"""Bounded web work (issue 22): HTML to text for a 100 kB flat page, the 20,000-deep page of the report and a
1.6 MB page, and the added latency of the total-deadline watchdog per outbound request.

Prints two tables; asserts nothing (speed is reported, not tested).
Run: python -m benchmarks.bench_edges_bounds
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from egress import Egress, client
from standins.web import WebServer
from tools.html_text import html_to_text


def flat_page(target_bytes: int = 100_000) -> str:
    para = ("<p>Nvidia reported revenue of <b>$35.1 billion</b>, up 94% from a year ago; see "
            "<a href='https://example.com/r'>the release</a>.</p>\n")
    return "<html><head><title>t</title></head><body>" + para * (target_bytes // len(para)) + "</body></html>"


def deep_page(depth: int = 20_000) -> str:
    return "<html><body>" + "<div>" * depth + "the bottom" + "</div>" * depth + "</body></html>"


def timed(runs: int, fn: Callable[[], object]) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


class _NoWatchdog:
    """The request path without the deadline's watchdog, to measure what the watchdog adds."""

    fired = False

    def __init__(self, conn, seconds):
        pass

    def hold(self, sock):
        pass

    def cancel(self):
        pass


def main() -> None:
    pages = [("100 kB flat page", flat_page()), ("20,000-deep page", deep_page()),
             ("1.6 MB, 100,000 deep, 500 kB text", "<div>" * 100_000 + "x" * 500_000 + "</div>" * 100_000)]
    head = f"| {'HTML to text':<36} | {'kB':>6} | {'runs':>4} | {'median ms':>9} | {'max ms':>8} |"
    print(head + f" {'CPU ms':>7} | {'text chars':>10} |")
    print(f"|{'-' * 38}|{'-' * 8}|{'-' * 6}|{'-' * 11}|{'-' * 10}|{'-' * 9}|{'-' * 12}|")
    for label, page in pages:
        median, worst = timed(10, lambda page=page: html_to_text(page, cpu_s=60))
        cpu = []
        for _ in range(5):  # what the budget (HTML_TEXT_CPU_S) counts: this thread's CPU time
            started = time.thread_time()
            chars = len(html_to_text(page, cpu_s=60))
            cpu.append((time.thread_time() - started) * 1000)
        print(f"| {label:<36} | {len(page) / 1000:>6.0f} | {10:>4} | {median:>9.1f} | {worst:>8.1f} | "
              f"{statistics.median(cpu):>7.0f} | {chars:>10,} |")

    print()
    with WebServer() as web:
        page = web.add_page("/article", "<html><body>" + "<p>NVDA rose.</p>" * 200 + "</body></html>")
        egress = Egress(allow_private=True, timeout_s=5, total_timeout_s=20)
        with_deadline = timed(300, lambda: egress.get(page).body)
        real = client._Watchdog
        client._Watchdog = _NoWatchdog
        try:
            without = timed(300, lambda: egress.get(page).body)
        finally:
            client._Watchdog = real
    print(f"| {'Egress.get of a local 3 kB page':<44} | {'runs':>4} | {'median ms':>9} | {'max ms':>8} |")
    print(f"|{'-' * 46}|{'-' * 6}|{'-' * 11}|{'-' * 10}|")
    print(f"| {'without the total-deadline watchdog':<44} | {300:>4} | {without[0]:>9.3f} | {without[1]:>8.2f} |")
    print(f"| {'with it (one shared watchdog thread)':<44} | {300:>4} | {with_deadline[0]:>9.3f} | "
          f"{with_deadline[1]:>8.2f} |")
    print(f"| {'added per request (median)':<44} | {'':>4} | {with_deadline[0] - without[0]:>9.3f} | {'':>8} |")


if __name__ == "__main__":
    main()
