"""Cost of the safety checks: secret scrubbing of chat items, secret checks of URLs, a checked and pinned page fetch
against a plain `requests.get`, and the visitor-limit admission.

Prints a table; asserts nothing (speed is reported, not tested).
Run: python -m benchmarks.bench_egress
"""

from __future__ import annotations

import secrets as random_secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

from core.text import carries_secret, scrub
from egress import Egress
from quota import Limits, Quota, UsageStore
from standins.web import WebServer


def timed(label: str, runs: int, fn: Callable[[int], object]) -> tuple[str, int, float, float]:
    fn(0)  # warm: compiled patterns, connections
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return label, runs, statistics.median(samples), max(samples)


def main() -> None:
    secrets = [random_secrets.token_urlsafe(24) for _ in range(8)]  # as many as a fully configured Space has
    item = ("The manager looked at NVDA's last month and the news. " * 60)[:3000]
    url = "https://www.reuters.com/markets/us/nvidia-earnings-2026-11-20/?utm_source=ddg&id=" + "a1b2c3" * 8
    rows = [
        timed("scrub a 3,000-character chat item, 8 secrets", 2000, lambda i: scrub(item, secrets)),
        timed("check a URL for 8 secrets (every spelling)", 2000, lambda i: carries_secret(url, secrets)),
    ]
    with WebServer() as web, tempfile.TemporaryDirectory() as tmp:
        page = web.add_page("/article", "<html><body>" + "<p>NVDA rose.</p>" * 200 + "</body></html>")
        egress = Egress(allow_private=True, timeout_s=5, secrets=secrets)
        rows.append(timed("plain requests.get of a local page", 200, lambda i: requests.get(page, timeout=5).content))
        rows.append(timed("Egress.get of the same page (checked, pinned)", 200, lambda i: egress.get(page).body))
        quota = Quota(Limits(turns_per_minute=0), UsageStore(Path(tmp) / "usage.sqlite3"))
        rows.append(timed("admit a turn, charge one step, release", 500,
                          lambda i: (lambda p: (p.meter(1000), p.close()))(quota.admit_turn(f"v{i % 50}"))))
    print(f"| {'operation':<52} | {'runs':>5} | {'median ms':>9} | {'max ms':>8} |")
    print(f"|{'-' * 54}|{'-' * 7}|{'-' * 11}|{'-' * 10}|")
    for label, runs, median, worst in rows:
        print(f"| {label:<52} | {runs:>5} | {median:>9.3f} | {worst:>8.2f} |")


if __name__ == "__main__":
    main()
