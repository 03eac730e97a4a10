"""Technical indicators as whole-column pandas operations (no per-bar Python loops).

The backtest engine evaluates a spec's rules on these series. Every indicator
only looks backwards (rolling / exponential windows), so a signal at bar t
never uses prices after t.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def sma(close: pd.Series, period: int) -> pd.Series:
    """Simple moving average; NaN until `period` bars exist."""
    return close.rolling(period, min_periods=period).mean()


def ema(close: pd.Series, period: int) -> pd.Series:
    """Exponential moving average (span=period, the usual trading convention); NaN during warm-up."""
    out = close.ewm(span=period, adjust=False, min_periods=period).mean()
    return out


def rsi(close: pd.Series, period: int) -> pd.Series:
    """Wilder's RSI (smoothing alpha = 1/period), 0..100; NaN during warm-up."""
    delta = close.diff()
    gain = delta.clip(lower=0.0)
    loss = -delta.clip(upper=0.0)
    avg_gain = gain.ewm(alpha=1.0 / period, adjust=False, min_periods=period).mean()
    avg_loss = loss.ewm(alpha=1.0 / period, adjust=False, min_periods=period).mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        rs = avg_gain / avg_loss
        out = 100.0 - 100.0 / (1.0 + rs)
    # No losses in the window: RSI is 100 by definition (rs is inf -> 100 already); flat prices: 50.
    out = out.where(~((avg_gain == 0) & (avg_loss == 0)), 50.0)
    return out


def macd(close: pd.Series, fast: int, slow: int, signal: int) -> tuple[pd.Series, pd.Series, pd.Series]:
    """MACD line, signal line and histogram."""
    line = ema(close, fast) - ema(close, slow)
    signal_line = line.ewm(span=signal, adjust=False, min_periods=signal).mean()
    return line, signal_line, line - signal_line


def bollinger(close: pd.Series, period: int, width: float) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Lower, middle and upper Bollinger bands (population std, as Bollinger defined them)."""
    mid = sma(close, period)
    std = close.rolling(period, min_periods=period).std(ddof=0)
    return mid - width * std, mid, mid + width * std
