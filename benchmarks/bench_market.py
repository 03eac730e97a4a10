"""Market-data benchmark: prints a table (no asserts; targets are in the right column).

    python benchmarks/bench_market.py [--browser]

1. Warm-cache quote latency (target < 1 ms).
2. 20-ticker comparison, parallel vs sequential, against the Yahoo replay
   server with 100 ms added to every answer (target >= 5x speed-up).
   The 20 tickers are real recordings (AAPL, AMZN, GOOG, MSFT, NVDA, TSLA)
   served under 20 names, so every ticker is a cache miss.
3. Chart payload for ~13 years of daily TSLA bars (3303 bars) with SMA 50/200,
   Bollinger, RSI and MACD (target <= 300 kB), and with --browser the time
   for headless Debian chromium to draw it with plotly.js (target < 1 s).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
warnings.simplefilter("ignore")


def row(name: str, value: str, target: str) -> None:
    print(f"| {name:<52} | {value:>16} | {target:<12} |")


def bench_quote(url: str) -> None:
    from market.client import MarketData

    market = MarketData(base_url=url, timeout_s=5, quote_ttl_s=600)
    market.quote("AAPL")
    samples = []
    for _ in range(2000):
        started = time.perf_counter()
        market.quote("AAPL")
        samples.append(time.perf_counter() - started)
    samples.sort()
    row("warm quote, median", f"{statistics.median(samples) * 1e6:.1f} µs", "< 1 ms")
    row("warm quote, p99", f"{samples[int(len(samples) * 0.99)] * 1e6:.1f} µs", "< 1 ms")


def bench_compare(recordings) -> None:
    """Sequential vs parallel, twice: tickers yfinance has never seen (it probes and stores each one's
    timezone in its sqlite cache, which serialises), and tickers whose timezone it knows (the steady state
    of a running app). Our own cache is always empty, so every ticker is fetched from the server."""
    from market.client import MarketData
    from standins.yahoo import YahooReplay

    sources = ["AAPL", "AMZN", "GOOG", "MSFT", "NVDA", "TSLA"]
    with YahooReplay(recordings=recordings, latency_s=0.1) as server:
        for label, warm in (("new tickers", False), ("known tickers", True)):
            timings = {}
            for parallel in (False, True):
                prefix = f"{'W' if warm else 'C'}{'P' if parallel else 'S'}"
                symbols = [f"{prefix}{i:02d}" for i in range(1, 21)]
                server.aliases.update({sym: sources[i % len(sources)] for i, sym in enumerate(symbols)})
                if warm:  # let yfinance learn the timezones first, through another client
                    MarketData(base_url=server.url, timeout_s=10, max_workers=20).compare(symbols, "1y")
                market = MarketData(base_url=server.url, timeout_s=10, max_workers=20)
                started = time.perf_counter()
                comparison = market.compare(symbols, "1y", parallel=parallel)
                timings[parallel] = time.perf_counter() - started
                assert not comparison.failures, comparison.failures
            row(f"20-ticker compare, {label}, sequential", f"{timings[False]:.2f} s", "")
            row(f"20-ticker compare, {label}, parallel", f"{timings[True]:.2f} s", "")
            row(f"parallel speed-up, {label}", f"{timings[False] / timings[True]:.1f}x", ">= 5x")


def chart_figure():
    import json

    import pandas as pd

    from market.charts import price_chart

    path = (Path(__file__).resolve().parent.parent
            / "tests/fixtures/yahoo/chart/chart-TSLA-1d-div-2010-06-29-to-2023-08-11.json")
    result = json.loads(path.read_text())["response"]["bodyJson"]["chart"]["result"][0]
    q = result["indicators"]["quote"][0]
    frame = pd.DataFrame({"Open": q["open"], "High": q["high"], "Low": q["low"], "Close": q["close"],
                          "Volume": q["volume"]},
                         index=pd.to_datetime(result["timestamp"], unit="s", utc=True)).dropna().astype(float)
    started = time.perf_counter()
    figure = price_chart(frame, "TSLA", "max", ["sma50", "sma200", "bollinger", "rsi", "macd"])
    built = time.perf_counter() - started
    return frame, figure, built


def bench_chart(browser: bool) -> None:
    frame, figure, built = chart_figure()
    payload = figure.to_json()
    row(f"chart: {len(frame)} daily bars -> figure build", f"{built * 1000:.0f} ms", "")
    row("chart: plotly JSON payload", f"{len(payload.encode()) / 1000:.0f} kB", "<= 300 kB")
    if not browser:
        return
    import plotly.io as pio

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    html = Path(tempfile.mkdtemp()) / "chart.html"
    html.write_text(pio.to_html(figure, include_plotlyjs=True, full_html=True, div_id="chart",
                                auto_play=False, post_script="window.__drawn = performance.now();"))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chrome = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = chrome.new_page(viewport={"width": 1280, "height": 1000})
        times = []
        for _ in range(3):
            page.goto(html.as_uri())
            page.wait_for_function("() => window.__drawn !== undefined")
            # From plotly.js ready to figure drawn: newPlot runs synchronously before post_script.
            times.append(page.evaluate(
                "() => { const t0 = performance.now(); return Plotly.newPlot('chart', "
                "document.getElementById('chart').data, document.getElementById('chart').layout)"
                ".then(() => performance.now() - t0); }"))
        chrome.close()
    row("chart: browser draw (plotly.js newPlot, median of 3)", f"{statistics.median(times):.0f} ms", "< 1 s")


def main() -> None:
    import yfinance as yf

    warnings.simplefilter("ignore")  # yfinance re-enables its own warnings on import
    from standins.yahoo import YahooRecordings, YahooReplay

    yf.set_tz_cache_location(tempfile.mkdtemp())
    recordings = YahooRecordings()
    print("| measure | value | target |".replace("measure", "measure".ljust(52)).replace("value", "value".rjust(16)))
    print(f"|{'-' * 54}|{'-' * 18}|{'-' * 14}|")
    with YahooReplay(recordings=recordings) as server:
        bench_quote(server.url)
    bench_compare(recordings)
    bench_chart("--browser" in sys.argv)


if __name__ == "__main__":
    main()
