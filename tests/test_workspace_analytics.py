"""Portfolio analytics over real recorded closes (2020 AAPL / GOOG from Yahoo), checked against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.test_trading_paper import real_history
from trading.analytics import portfolio_analytics


def series(symbol: str) -> list[tuple[str, float]]:
    return [(t.date().isoformat(), float(c)) for t, c in real_history(symbol)]


def figures(analytics) -> dict:
    return {f.name: f for f in analytics.figures}


def test_figures_match_pandas_on_a_real_year():
    index = series("GOOG")  # the benchmark
    days = [d for d, _ in index]
    index_returns = pd.Series([c for _, c in index]).pct_change().fillna(0)
    equity = list(zip(days, (100_000 * (1 + 2 * index_returns).cumprod()).tolist()))  # 2x the index, daily
    result = figures(portfolio_analytics(equity, index, {"AAPL": 30_000, "GOOG": 10_000}, "2021-01-04T21:00Z",
                                         benchmark_name="GOOG"))
    values = pd.Series([v for _, v in equity])
    returns = values.pct_change().dropna()
    assert result["Beta vs GOOG"].value == pytest.approx(2.0, abs=1e-6)
    assert result["Return"].value == pytest.approx(100 * (values.iloc[-1] / values.iloc[0] - 1), rel=1e-6)
    assert result["GOOG return"].value == pytest.approx(100 * (index[-1][1] / index[0][1] - 1), rel=1e-6)
    assert result["Volatility (annualized)"].value == pytest.approx(100 * returns.std() * np.sqrt(252), rel=1e-6)
    assert result["Max drawdown"].value == pytest.approx(100 * (values / values.cummax() - 1).min(), rel=1e-6)
    assert result["95% one-day VaR (historical)"].value == pytest.approx(-returns.quantile(0.05) * values.iloc[-1],
                                                                         rel=1e-6)
    concentration = result["Concentration: largest position AAPL"]
    assert concentration.value == pytest.approx(75.0) and "HHI 0.62" in concentration.period
    assert all(days[0] in f.period for f in result.values() if f.name in ("Return", "Max drawdown"))


def test_short_history_says_what_is_missing():
    result = figures(portfolio_analytics([("2026-11-20", 100_000.0)], [], {}, "now"))
    assert result["Return"].value is None and "0 daily returns" in result["Return"].period
    assert "needs 20 daily returns" in result["95% one-day VaR (historical)"].period
    assert result["Concentration"].value is None
    text = portfolio_analytics([("2026-11-20", 100_000.0)], [], {}, "now").markdown()
    assert "n/a" not in text and "as of now" in text  # each missing figure says when it will appear
    assert "95% one-day VaR (historical): appears after 20 trading days" in text
    assert "Concentration: appears once you hold a position" in text
