"""Backtest speed: our vectorised engine vs backtesting.py on 10 years of real daily bars.

Run: python benchmarks/bench_backtest.py   (prints a table; targets: one strategy < 20 ms,
a 100-combination sweep < 1 s). Data: the recorded TSLA daily chart in tests/fixtures/prices
(its last 10 years, 2518 bars). backtesting.py is a test/bench-only dependency (AGPL-3.0).
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backtest import run_backtest  # noqa: E402
from backtest.engine import SignalBook, prepare_prices, simulate  # noqa: E402
from backtest.spec import parse_spec  # noqa: E402
from backtest.validation import evaluate, sweep  # noqa: E402
from standins.prices import tsla_daily  # noqa: E402

FAST = [5, 8, 10, 12, 15, 20, 25, 30, 35, 40]
SLOW = [50, 60, 70, 80, 90, 100, 120, 150, 180, 200]


def timed(fn, repeat: int = 5) -> float:
    """Median wall time in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _sma(values, n):
    return pd.Series(values).rolling(n).mean().to_numpy()


def backtesting_py(prices: pd.DataFrame):
    """backtesting.py's Backtest for the same SMA cross (its classes must be module level to be pickled)."""
    from backtesting import Backtest

    return Backtest(prices, _strategy_class(), cash=1e9, commission=0.0005, finalize_trades=True)


def _strategy_class():
    global SmaCross
    if "SmaCross" not in globals():
        from backtesting import Strategy
        from backtesting.lib import crossover

        class SmaCross(Strategy):  # noqa: F811
            fast, slow = 20, 50

            def init(self):
                self.a = self.I(_sma, self.data.Close, self.fast)
                self.b = self.I(_sma, self.data.Close, self.slow)

            def next(self):
                if crossover(self.a, self.b) and not self.position:
                    self.buy()
                elif crossover(self.b, self.a) and self.position:
                    self.position.close()

        SmaCross.__qualname__ = "SmaCross"
        globals()["SmaCross"] = SmaCross
    return globals()["SmaCross"]


def main() -> None:
    prices = tsla_daily().tz_localize(None).iloc[-2518:]
    spec = {"strategy": "sma_cross", "params": {"fast": 20, "slow": 50}}
    frame = prepare_prices(prices)
    parsed = parse_spec(spec)
    rows = [
        ("ours: one strategy (run_backtest, incl. buy-and-hold baseline)",
         timed(lambda: run_backtest(prices, spec)), 20),
        ("ours: one strategy, engine only (no baseline, prepared prices)",
         timed(lambda: simulate(frame, parsed, SignalBook(frame))), 20),
        ("ours: full + in/out-of-sample + 4-window walk-forward", timed(lambda: evaluate(prices, spec)), None),
        ("ours: 100-combination sweep (10 fast x 10 slow)",
         timed(lambda: sweep(prices, spec, {"fast": FAST, "slow": SLOW}), repeat=3), 1000),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = backtesting_py(prices)
        rows.append(("backtesting.py 0.6.6: one strategy", timed(lambda: bt.run(), repeat=3), None))
        rows.append(("backtesting.py 0.6.6: 100-combination optimize",
                     timed(lambda: bt.optimize(fast=FAST, slow=SLOW, maximize="Sharpe Ratio",
                                               constraint=lambda p: p.fast < p.slow, max_tries=None), repeat=1), None))
    print(f"{len(prices)} daily bars of TSLA ({prices.index[0].date()} .. {prices.index[-1].date()}), "
          f"median wall time\n")
    print(f"| {'case':<66} | {'ms':>9} | {'target ms':>9} | ok |")
    print(f"|{'-' * 68}|{'-' * 11}|{'-' * 11}|----|")
    for name, ms, target in rows:
        ok = "" if target is None else ("yes" if ms < target else "NO")
        print(f"| {name:<66} | {ms:9.1f} | {target if target else '':>9} | {ok:>2} |")


if __name__ == "__main__":
    main()
