"""Cross-checks against independent libraries: backtesting.py (trades and equity) and empyrical (metrics).

Both are test-only dependencies; the product never imports them (backtesting.py is AGPL-3.0).
"""

from __future__ import annotations

import warnings

import empyrical
import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import GOOG

from backtest import run_backtest
from backtest.metrics import bar_returns
from standins.prices import tsla_daily

CASH = 1e9  # whole-share rounding in backtesting.py is then below 1e-6 of equity


def _sma(values, n):
    return pd.Series(values).rolling(n).mean().to_numpy()


class SmaCross(Strategy):
    fast, slow = 10, 20

    def init(self):
        self.a = self.I(_sma, self.data.Close, self.fast)
        self.b = self.I(_sma, self.data.Close, self.slow)

    def next(self):
        if crossover(self.a, self.b) and not self.position:
            self.buy()
        elif crossover(self.b, self.a) and self.position:
            self.position.close()


def reference_run(prices: pd.DataFrame, strategy, commission: float, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = Backtest(prices, strategy, cash=CASH, commission=commission, finalize_trades=False)
        return bt.run(**params)


@pytest.mark.parametrize("prices_name, fast, slow, commission", [
    ("GOOG", 10, 20, 0.0), ("GOOG", 10, 20, 0.002), ("TSLA", 20, 50, 0.001), ("TSLA", 5, 30, 0.0),
])
def test_sma_cross_matches_backtesting_py(prices_name, fast, slow, commission):
    prices = GOOG if prices_name == "GOOG" else tsla_daily().tz_localize(None)
    stats = reference_run(prices, SmaCross, commission, fast=fast, slow=slow)
    ours = run_backtest(prices, {"strategy": "sma_cross", "params": {"fast": fast, "slow": slow},
                                 "commission": commission, "slippage": 0.0})
    theirs = stats._trades
    ours_closed = ours.trades[ours.trades.exit_reason != "end"]
    assert len(ours_closed) == len(theirs) > 10
    assert list(ours_closed.entry_time) == list(theirs.EntryTime)
    assert list(ours_closed.exit_time) == list(theirs.ExitTime)
    np.testing.assert_allclose(ours_closed.entry_price, theirs.EntryPrice, rtol=1e-12)
    np.testing.assert_allclose(ours_closed.exit_price, theirs.ExitPrice, rtol=1e-12)
    # equity curves agree (up to whole-share rounding) on every bar but the last, where we close what is open
    their_equity = stats._equity_curve.Equity.to_numpy() / CASH
    np.testing.assert_allclose(ours.equity.to_numpy()[:-1], their_equity[:-1], rtol=1e-5)
    assert ours.metrics["max_drawdown"] == pytest.approx(stats["Max. Drawdown [%]"] / 100, rel=1e-4)
    assert ours.metrics["max_drawdown_days"] == (stats["Max. Drawdown Duration"] / pd.Timedelta(days=1))
    if ours.trades.exit_reason.iloc[-1] != "end":
        assert ours.metrics["total_return"] == pytest.approx(stats["Return [%]"] / 100, rel=1e-5)
        assert ours.metrics["win_rate"] == pytest.approx(stats["Win Rate [%]"] / 100)


@pytest.mark.parametrize("spec", [
    {"strategy": "buy_and_hold"},
    {"strategy": "rsi", "params": {"period": 14, "low": 30, "high": 70}},
    {"strategy": "macd_cross", "direction": "long_short"},
    {"strategy": "bollinger", "stop_loss": 0.05, "take_profit": 0.1},
])
def test_metrics_match_empyrical(spec):
    result = run_backtest(tsla_daily(), spec)
    returns = bar_returns(result.equity)
    m = result.metrics
    assert m["sharpe"] == pytest.approx(empyrical.sharpe_ratio(returns, period="daily"), rel=1e-9)
    assert m["sortino"] == pytest.approx(empyrical.sortino_ratio(returns, period="daily"), rel=1e-9)
    assert m["volatility"] == pytest.approx(empyrical.annual_volatility(returns, period="daily"), rel=1e-9)
    assert m["max_drawdown"] == pytest.approx(empyrical.max_drawdown(returns), rel=1e-9)
    assert m["cagr"] == pytest.approx(empyrical.annual_return(returns, period="daily"), rel=1e-9)
    assert m["total_return"] == pytest.approx(empyrical.cum_returns_final(returns), rel=1e-9)
