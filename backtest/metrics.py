"""Performance metrics of an equity curve and its trades, and their markdown table.

Conventions follow empyrical (which the tests cross-check against): per-bar
simple returns from a starting capital of 1.0, risk-free rate 0, sample
standard deviation, annualised by the bars per year inferred from the index
(252 for daily bars; 252 x bars-per-session for intraday). CAGR uses the same
year length (bars / bars-per-year), so it is blank for samples shorter than a
month, where an annual figure would be noise.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

TRADING_DAYS = 252
SESSION_MINUTES = 390  # a US equity session, 09:30-16:00


def periods_per_year(index: pd.DatetimeIndex) -> float:
    """Bars per year from the median spacing of the index."""
    if len(index) < 2:
        return float(TRADING_DAYS)
    step = pd.Series(index).diff().median()
    days = step / pd.Timedelta(days=1)
    if days >= 25:
        return 12.0
    if days >= 5:
        return 52.0
    if days >= 0.9:
        return float(TRADING_DAYS)
    minutes = max(step / pd.Timedelta(minutes=1), 1.0)
    return TRADING_DAYS * max(SESSION_MINUTES / minutes, 1.0)


def bar_returns(equity: pd.Series, start_value: float = 1.0) -> pd.Series:
    """Simple returns per bar; the first is measured from the starting capital."""
    previous = equity.shift(1)
    previous.iloc[0] = start_value
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = equity / previous - 1.0
    return returns.replace([np.inf, -np.inf], np.nan).fillna(0.0)  # after a bust: 0/0


def _finite(value: float) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def drawdown(equity: pd.Series, start_value: float = 1.0) -> pd.Series:
    """Fraction below the running peak (the starting capital counts as a peak); <= 0."""
    peak = np.maximum.accumulate(np.concatenate(([start_value], equity.to_numpy())))[1:]
    return pd.Series(equity.to_numpy() / peak - 1.0, index=equity.index, name="drawdown")


def longest_drawdown(equity: pd.Series, start_value: float = 1.0) -> tuple[int, pd.Timedelta]:
    """The longest time spent below a previous peak: (bars, calendar time from the peak to recovery or the end)."""
    under = drawdown(equity, start_value).to_numpy() < -1e-12
    if not under.any():
        return 0, pd.Timedelta(0)
    # runs of consecutive True
    padded = np.concatenate(([False], under, [False]))
    changes = np.flatnonzero(padded[1:] != padded[:-1])
    starts, stops = changes[::2], changes[1::2]  # run covers [start, stop)
    lengths = stops - starts
    k = int(np.argmax(lengths))
    index = equity.index
    peak_time = index[starts[k] - 1] if starts[k] > 0 else index[0]
    end_time = index[stops[k]] if stops[k] < len(index) else index[-1]
    return int(lengths[k]), end_time - peak_time


def compute_metrics(equity: pd.Series, trades: pd.DataFrame, position: pd.Series | None = None,
                    start_value: float = 1.0) -> dict[str, Any]:
    """All headline figures for one equity curve (fractions, not percent)."""
    returns = bar_returns(equity, start_value)
    per_year = periods_per_year(equity.index)
    r = returns.to_numpy()
    total = equity.iloc[-1] / start_value - 1.0
    years = len(r) / per_year
    std = float(np.std(r, ddof=1)) if len(r) > 1 else float("nan")
    mean = float(np.mean(r))
    downside = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2))) * math.sqrt(per_year)
    dd_bars, dd_time = longest_drawdown(equity, start_value)
    pnl = trades["pnl"].to_numpy() if len(trades) else np.array([])
    gains, losses = pnl[pnl > 0].sum(), -pnl[pnl < 0].sum()
    return {
        "total_return": float(total),
        "cagr": _finite((1.0 + total) ** (1.0 / years) - 1.0) if years >= 1 / 12 and total > -1 else None,
        "volatility": _finite(std * math.sqrt(per_year)),
        "sharpe": _finite(mean / std * math.sqrt(per_year)) if std > 0 else None,
        "sortino": _finite(mean * per_year / downside) if downside > 0 else None,
        "max_drawdown": float(drawdown(equity, start_value).min()),
        "max_drawdown_bars": dd_bars,
        "max_drawdown_days": round(dd_time / pd.Timedelta(days=1), 2),
        "trades": int(len(trades)),
        "win_rate": float((pnl > 0).mean()) if len(pnl) else None,
        "profit_factor": _finite(gains / losses) if losses > 0 else None,
        "avg_trade": float(trades["return"].mean()) if len(trades) else None,
        "exposure": float((position.to_numpy() != 0).mean()) if position is not None else None,
        "bars": int(len(r)),
        "start": str(equity.index[0]),
        "end": str(equity.index[-1]),
    }


# label, key, format
ROWS = (
    ("Total return", "total_return", "pct"),
    ("CAGR", "cagr", "pct"),
    ("Volatility (ann.)", "volatility", "pct"),
    ("Sharpe", "sharpe", "num"),
    ("Sortino", "sortino", "num"),
    ("Max drawdown", "max_drawdown", "pct"),
    ("Longest drawdown (days)", "max_drawdown_days", "int"),
    ("Trades", "trades", "int"),
    ("Win rate", "win_rate", "pct"),
    ("Profit factor", "profit_factor", "num"),
    ("Avg trade", "avg_trade", "pct"),
    ("Exposure", "exposure", "pct"),
)


def format_value(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if kind == "pct":
        return f"{value * 100:.2f}%"
    if kind == "int":
        return f"{value:.0f}"
    return f"{value:.2f}"


def metrics_table(columns: dict[str, dict[str, Any] | None]) -> str:
    """A markdown table with one column per named metrics dict (e.g. strategy, buy & hold)."""
    named = {name: m for name, m in columns.items() if m is not None}
    header = "| metric | " + " | ".join(named) + " |\n|---|" + "---:|" * len(named) + "\n"
    lines = [f"| {label} | " + " | ".join(format_value(m.get(key), kind) for m in named.values()) + " |"
             for label, key, kind in ROWS]
    return header + "\n".join(lines)
