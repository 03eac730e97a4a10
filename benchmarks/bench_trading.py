"""Trading speed: the paper ledger, the risk gate, and alpaca-py against the local Alpaca stand-in.

Prints a table; asserts nothing (speed is reported, not tested).
Run: python -m benchmarks.bench_trading
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from trading.broker import Account, Asset, OrderRequest
from trading.market_hours import us_equity_clock
from trading.paper import PaperBroker
from trading.risk import RiskLimits, evaluate

NOW = datetime(2020, 3, 2, 15, 0, tzinfo=UTC)


def timed(label: str, runs: int, fn: Callable[[int], None]) -> tuple[str, int, float, float]:
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return label, runs, statistics.median(samples), max(samples)


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(tmp) / "bench.sqlite3"
        prices = {"AAPL": 100.0}
        broker = PaperBroker(ledger, "bench", starting_cash=1e9, price_of=lambda s: prices[s], now=lambda: NOW)
        rows.append(timed("paper: market buy (1 transaction, fsync)", 300,
                          lambda i: broker.submit(OrderRequest("AAPL", "buy", qty=1))))
        rows.append(timed("paper: resting limit order", 300,
                          lambda i: broker.submit(OrderRequest("AAPL", "buy", type="limit", qty=1, limit_price=50,
                                                               time_in_force="gtc"))))
        rows.append(timed("paper: account() with 300 resting orders", 50, lambda i: broker.account()))
        rows.append(timed("paper: repeat client_order_id (idempotent no-op)", 300,
                          lambda i: broker.submit(OrderRequest("AAPL", "buy", qty=1, client_order_id="same"))))
        rows.append(timed("paper: audit() of 600 orders", 20, lambda i: broker.audit()))
        broker.close()

    limits = RiskLimits(25_000, 25, 20, False)
    account = Account(100_000, 100_000, 100_000)
    asset = Asset("AAPL", "Apple", True, True, False)
    clock = us_equity_clock(NOW)
    order = OrderRequest("AAPL", "buy", qty=10, take_profit=120, stop_loss=90)
    rows.append(timed("risk gate: evaluate()", 5000,
                      lambda i: evaluate(order, limits=limits, price=100.0, account=account, position_qty=5,
                                         asset=asset, clock=clock, orders_today=3)))

    from standins.alpaca import AlpacaStandIn
    from trading.alpaca_broker import AlpacaBroker

    server = AlpacaStandIn("KEY", "SECRET").start()
    try:
        alpaca = AlpacaBroker("KEY", "SECRET", url_override=server.url, timeout_s=5)
        rows.append(timed("alpaca-py -> 127.0.0.1 stand-in: get_account", 100, lambda i: alpaca.account()))
        rows.append(timed("alpaca-py -> 127.0.0.1 stand-in: submit order", 100,
                          lambda i: alpaca.submit(OrderRequest("AAPL", "buy", qty=1))))
        alpaca.close()
    finally:
        server.stop()

    width = max(len(r[0]) for r in rows)
    print(f"{'operation':<{width}}  {'runs':>6}  {'median ms':>10}  {'max ms':>9}")
    for label, runs, median, worst in rows:
        print(f"{label:<{width}}  {runs:>6}  {median:>10.3f}  {worst:>9.3f}")


if __name__ == "__main__":
    main()
