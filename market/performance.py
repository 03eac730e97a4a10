"""Comparing tickers: return, volatility, max drawdown, correlation of daily returns."""

from __future__ import annotations


def compare_closes(closes: dict):
    """(stats, correlation, aligned closes) for daily close series keyed by symbol.

    stats has one row per symbol: start, end (dates), first, last, return_pct,
    volatility_pct (annualised std of daily returns, 252 trading days),
    max_drawdown_pct (worst peak-to-trough fall, negative). Correlation uses
    daily returns on the dates the tickers share (NaN when they share < 10).
    Used by MarketData.compare.
    """
    import numpy as np
    import pandas as pd

    aligned = {}
    for symbol, series in closes.items():
        series = series.dropna().astype(float)
        index = pd.DatetimeIndex(series.index)
        if index.tz is not None:
            index = index.tz_localize(None)
        aligned[symbol] = pd.Series(series.to_numpy(), index=index.normalize()).groupby(level=0).last()
    table = pd.DataFrame(aligned).sort_index()
    rows = []
    for symbol in table.columns:
        series = table[symbol].dropna()
        returns = series.pct_change().dropna()
        drawdown = series / series.cummax() - 1
        rows.append({
            "symbol": symbol,
            "start": series.index[0].date() if len(series) else None,
            "end": series.index[-1].date() if len(series) else None,
            "first": float(series.iloc[0]) if len(series) else np.nan,
            "last": float(series.iloc[-1]) if len(series) else np.nan,
            "return_pct": float((series.iloc[-1] / series.iloc[0] - 1) * 100) if len(series) > 1 else np.nan,
            "volatility_pct": float(returns.std() * np.sqrt(252) * 100) if len(returns) > 1 else np.nan,
            "max_drawdown_pct": float(drawdown.min() * 100) if len(series) else np.nan,
        })
    stats = pd.DataFrame(rows).set_index("symbol")
    correlation = table.pct_change(fill_method=None).corr(min_periods=10)
    return stats, correlation, table
