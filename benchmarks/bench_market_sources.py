"""Market-data sources benchmark: prints tables (no asserts).

    python benchmarks/bench_market_sources.py [--latency 0.08] [--seconds 20] [--symbols 100] [--rules 1000]

1. A year of AAPL daily bars: cold (over the network: the Yahoo stand-in with `--latency` per request, as a real
   round trip), warm (the in-memory cache), and after a restart (a new client on the same DATA_DIR: the bar store).
2. Requests a minute to Yahoo under the alert benchmark's load (rules over many symbols, checked back to back for
   `--seconds`, quotes cached QUOTE_TTL_S=15 s as in production), before (Yahoo alone, no limiter: the app before
   this change) and after (the chain from the settings: Yahoo's token bucket at MARKET_YAHOO_PER_MINUTE=50, the
   overflow going to Alpaca and Stooq).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
warnings.simplefilter("ignore")

RECORDED = ("AAPL", "AMZN", "GOOG")  # recorded with a quote and a year of daily bars


def row(name: str, value: str, note: str = "") -> None:
    print(f"| {name:<62} | {value:>14} | {note:<32} |")


def header(title: str) -> None:
    print(f"\n{title}\n\n| {'measure':<62} | {'value':>14} | {'note':<32} |\n|{'-' * 64}|{'-' * 16}|{'-' * 34}|")


def settings_for(env: dict):
    from core.settings import load_settings

    return load_settings({k: str(v) for k, v in env.items()}, dotenv_path=None)


def year_of_bars(latency: float) -> None:
    from market.chain import market_from_settings
    from standins.yahoo import YahooReplay

    header(f"A year of AAPL daily bars (Yahoo stand-in, {latency * 1000:.0f} ms a request)")
    data = Path(tempfile.mkdtemp(prefix="bench-sources-"))
    with YahooReplay(latency_s=latency) as yahoo:
        env = {"YAHOO_BASE_URL": yahoo.url, "MARKET_SOURCES": "yahoo", "DATA_DIR": data,
               "MARKET_YAHOO_PER_MINUTE": 0}
        market = market_from_settings(settings_for(env))
        market.history("MSFT", period="1y")  # yfinance's cookie and crumb bootstrap, outside the timing
        before = yahoo.data_hits()
        started = time.perf_counter()
        frame = market.history("AAPL", period="1y")
        cold = time.perf_counter() - started
        cold_requests = yahoo.data_hits() - before
        samples = []
        for _ in range(20):
            started = time.perf_counter()
            market.history("AAPL", period="1y")
            samples.append(time.perf_counter() - started)
        warm = sorted(samples)[len(samples) // 2]
        market.bar_store.close()
        before = yahoo.data_hits()
        started = time.perf_counter()
        restarted = market_from_settings(settings_for(env))
        again = restarted.history("AAPL", period="1y")
        restart = time.perf_counter() - started
        restart_requests = yahoo.data_hits() - before
        assert len(again) == len(frame)
        row(f"cold: {len(frame)} bars over the network", f"{cold * 1000:.0f} ms", f"{cold_requests} requests")
        row("warm: the in-memory cache (median of 20)", f"{warm * 1000:.2f} ms", "0 requests")
        row("restart: new client, same DATA_DIR (bar store)", f"{restart * 1000:.1f} ms",
            f"{restart_requests} requests")


def alert_load(seconds: float, n_symbols: int, n_rules: int, chain: bool) -> dict:
    from alerts.rules import parse_rule
    from alerts.service import AlertService
    from alerts.store import AlertStore
    from market.chain import market_from_settings
    from standins.alpaca import AlpacaStandIn
    from standins.stooq import StooqStandIn
    from standins.yahoo import YahooReplay

    tmp = Path(tempfile.mkdtemp(prefix="bench-sources-alerts-"))
    symbols = [f"S{i:03d}X" for i in range(n_symbols)]
    aliases = {s: RECORDED[i % len(RECORDED)] for i, s in enumerate(symbols)}
    now = datetime.now(UTC)
    with YahooReplay(aliases=aliases) as yahoo, AlpacaStandIn("k", "s") as alpaca, StooqStandIn() as stooq:
        # the stand-ins of Alpaca and Stooq serve the same recordings under the benchmark's names
        for server_bars in (alpaca, stooq):
            from standins.daily_bars import DerivedBars

            bars = DerivedBars()
            bars._bars.update({s: bars.bars(aliases[s]) for s in symbols})
            server_bars.bars = bars
        env = {"YAHOO_BASE_URL": yahoo.url, "DATA_DIR": tmp / "data", "QUOTE_TTL_S": 15}
        if chain:
            env.update(ALPACA_DATA_URL=alpaca.url, STOOQ_BASE_URL=stooq.url, ALPACA_API_KEY="k", ALPACA_SECRET_KEY="s")
        else:
            env.update(MARKET_SOURCES="yahoo", MARKET_YAHOO_PER_MINUTE=0)
        market = market_from_settings(settings_for(env))
        store = AlertStore(tmp / "alerts.sqlite3")
        for i in range(n_rules):
            words = [symbols[(i * 37) % n_symbols], "above" if i % 2 else "below", str(100 + (i * 7) % 400)]
            store.add_alert(f"ws{i // 10:04d}", parse_rule(words), status="active", source="person", note="",
                            now=now)
        service = AlertService(store, market, clock=lambda: now, max_workers=8)
        market.quote("AAPL")  # the cookie bootstrap, outside the count
        before = (yahoo.data_hits(), alpaca.data_requests(), stooq.requests())
        started = time.monotonic()
        checks, priced = 0, []
        while time.monotonic() - started < seconds:
            report = service.check(now, force=True)
            checks += 1
            priced.append(report.symbols - len(report.failures))
        elapsed = time.monotonic() - started
        after = (yahoo.data_hits(), alpaca.data_requests(), stooq.requests())
        service.close()
        per_minute = [(a - b) / elapsed * 60 for a, b in zip(after, before)]
        return {"yahoo": per_minute[0], "alpaca": per_minute[1], "stooq": per_minute[2], "checks": checks,
                "priced": min(priced) if priced else 0, "elapsed": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.08)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument("--rules", type=int, default=1000)
    args = parser.parse_args()
    import yfinance

    yfinance.set_tz_cache_location(tempfile.mkdtemp(prefix="bench-sources-yf-"))
    year_of_bars(args.latency)
    header(f"Requests a minute under the alert load ({args.rules:,} rules, {args.symbols} symbols, checked back to "
           f"back for {args.seconds:.0f} s, quotes cached 15 s)")
    before = alert_load(args.seconds, args.symbols, args.rules, chain=False)
    after = alert_load(args.seconds, args.symbols, args.rules, chain=True)
    row("before: Yahoo alone, no limiter — requests/min to Yahoo", f"{before['yahoo']:.0f}",
        f"{before['checks']} checks in {before['elapsed']:.0f} s, {before['priced']} priced")
    row("after: chain, Yahoo bucket 50/min — requests/min to Yahoo", f"{after['yahoo']:.0f}",
        f"{after['checks']} checks in {after['elapsed']:.0f} s, {after['priced']} priced")
    row("after: overflow to Alpaca (bucket 180/min), requests/min", f"{after['alpaca']:.0f}", "")
    row("after: overflow to Stooq (bucket 30/min), requests/min", f"{after['stooq']:.0f}", "")


if __name__ == "__main__":
    main()
