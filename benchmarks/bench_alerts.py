"""Alerts benchmark: prints a table (no asserts; targets are in the right column).

    python benchmarks/bench_alerts.py [--rules 10000] [--symbols 500]

10,000 rules (1,000 workspaces x 10: 40% price levels, 20% day moves, 20% RSI, 20% SMA50/EMA20 crosses) over
500 symbols, served by the Yahoo replay (real recordings under 500 names). The first check fetches every symbol
(one quote, plus one daily history for symbols with indicator rules) into the shared MarketData cache; the
warm checks are what the scheduler does every ALERT_CHECK_SECONDS while quotes are cached (target <= 1 s):
read every active rule, evaluate them with numpy, write the changed crossing states and the notifications.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
warnings.simplefilter("ignore")

SOURCES = ("AAPL", "AMZN", "GOOG", "QQQ", "BTC-USD")  # recordings with a quote and daily bars


def row(name: str, value: str, target: str) -> None:
    print(f"| {name:<58} | {value:>14} | {target:<10} |")


def rule_words(i: int, symbol: str) -> list[str]:
    pick = i % 10
    if pick < 4:
        return [symbol, "above" if pick % 2 else "below", str(100 + (i * 7) % 400)]
    if pick < 6:
        return [symbol, "move", str(1 + i % 5)]
    if pick < 8:
        return [symbol, "rsi", "above" if pick % 2 else "below", str(30 + (i * 3) % 40)]
    return [symbol, "cross", "sma50" if pick % 2 else "ema20"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--symbols", type=int, default=500)
    args = parser.parse_args()

    import yfinance

    from alerts.rules import parse_rule
    from alerts.service import AlertService
    from alerts.store import AlertStore
    from market.client import MarketData
    from standins.yahoo import YahooReplay

    tmp = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    yfinance.set_tz_cache_location(str(tmp / "yf"))
    symbols = [f"S{i:03d}X" for i in range(args.symbols)]
    aliases = {s: SOURCES[i % len(SOURCES)] for i, s in enumerate(symbols)}
    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    with YahooReplay(aliases=aliases) as yahoo:
        market = MarketData(base_url=yahoo.url, timeout_s=10, quote_ttl_s=3600, history_ttl_s=3600)
        store = AlertStore(tmp / "alerts.sqlite3")
        service = AlertService(store, market, clock=lambda: now, max_workers=8)
        started = time.perf_counter()
        for w in range(args.rules // 10):
            for k in range(10):
                i = w * 10 + k
                store.add_alert(f"ws{w:04d}", parse_rule(rule_words(i, symbols[(i * 37) % len(symbols)])),
                                status="active", source="person", note="", now=now)
        setup_s = time.perf_counter() - started
        db_bytes = sum(p.stat().st_size for p in tmp.glob("alerts.sqlite3*"))

        print(f"\n{args.rules:,} rules, {args.symbols} symbols, {args.rules // 10:,} workspaces\n")
        print(f"| {'measure':<58} | {'value':>14} | {'target':<10} |\n|{'-' * 60}|{'-' * 16}|{'-' * 12}|")
        row("store the rules (one transaction per rule)", f"{setup_s:.2f} s", "")
        started = time.perf_counter()
        cold = service.check(now, force=True)
        row(f"cold check: fetch {cold.symbols} symbols over the replay + evaluate",
            f"{time.perf_counter() - started:.2f} s", "")
        row("  rules that fired on the first check", f"{len(cold.fired):,}", "")

        samples = []
        for _ in range(5):
            started = time.perf_counter()
            report = service.check(now, force=True)
            samples.append(time.perf_counter() - started)
        row("warm check (cache hit), median of 5", f"{statistics.median(samples) * 1000:.0f} ms", "<= 1 s")
        row("warm check, worst of 5", f"{max(samples) * 1000:.0f} ms", "<= 1 s")
        assert report.rules == args.rules

        service.indicators = type(service.indicators)(ttl_s=3600)
        started = time.perf_counter()
        service.check(now, force=True)
        row("warm market cache, indicators recomputed (hourly)", f"{time.perf_counter() - started:.2f} s", "")

        store.query("SELECT 1")
        with store.tx() as cur:
            cur.execute("UPDATE alerts SET last_state = NULL")
        started = time.perf_counter()
        flipped = service.check(now, force=True)
        row(f"warm check writing every state + {len(flipped.fired):,} notifications",
            f"{time.perf_counter() - started:.2f} s", "")

        tracemalloc.start()
        service.check(now, force=True)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        row("memory per 1,000 rules during a check (tracemalloc peak)",
            f"{peak / args.rules * 1000 / 1024:.0f} KiB", "")
        row("database bytes per 1,000 rules (before notifications)",
            f"{db_bytes / args.rules * 1000 / 1024:.0f} KiB", "")
        service.close()


if __name__ == "__main__":
    main()
