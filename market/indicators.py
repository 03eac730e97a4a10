"""The one set of technical indicators (vectorised pandas), used by tools, charts, commands and backtests.

The conventions are the common ones (the `ta` library's, which the tests
check against): SMA = rolling mean; EMA with span n, adjust=False; RSI and
ATR with Wilder's smoothing (alpha 1/n; ATR seeded by the mean of the first
n true ranges); MACD 12/26/9; Bollinger 20 bars, 2 population std devs.

Defined once, tested in tests/test_market_indicators.py:
- short history: every indicator is NaN until its window is full (never a
  guess from fewer bars); readings then say "not enough history";
- flat window: RSI is 50 (no gains and no losses is neutral), 100 when there
  were only gains, 0 when only losses.
Every indicator only looks backwards, so a value at bar t never uses later prices.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from market.errors import InvalidRequest

DEFAULT_INDICATORS = ("sma20", "sma50", "sma200", "ema20", "rsi", "macd", "bollinger", "atr", "volume")
DEFAULT_TOOL_INDICATORS = "sma20,sma50,sma200,rsi,macd,bollinger,atr,volume"
NAME_RE = re.compile(r"(sma|ema|rsi|atr|macd|bollinger|bb|volume|avgvolume)(\d{0,4})")


class IndicatorError(InvalidRequest, ValueError):
    """An indicator name or window that cannot be computed; the message lists the known ones."""


def sma(close: pd.Series, period: int) -> pd.Series:
    """Simple moving average; NaN until `period` bars exist."""
    return close.rolling(period, min_periods=period).mean()


def ema(close: pd.Series, period: int) -> pd.Series:
    """Exponential moving average (span=period, adjust=False); NaN during warm-up."""
    return close.ewm(span=period, adjust=False, min_periods=period).mean()


def rsi(close: pd.Series, period: int = 14) -> pd.Series:
    """Wilder's RSI, 0..100; NaN during warm-up; 50 on a flat window, 100 with only gains, 0 with only losses."""
    diff = close.astype(float).diff()
    gain = diff.where(diff > 0, 0.0).ewm(alpha=1 / period, min_periods=period, adjust=False).mean()
    loss = (-diff.where(diff < 0, 0.0)).ewm(alpha=1 / period, min_periods=period, adjust=False).mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100 - 100 / (1 + gain / loss)
    out = out.where(loss != 0, 100.0).where(~((gain == 0) & (loss == 0)), 50.0)
    return out.where(gain.notna())


def macd(close: pd.Series, fast: int = 12, slow: int = 26, signal: int = 9) -> tuple[pd.Series, pd.Series, pd.Series]:
    """MACD line, signal line and histogram."""
    line = ema(close, fast) - ema(close, slow)
    signal_line = line.ewm(span=signal, adjust=False, min_periods=signal).mean()
    return line, signal_line, line - signal_line


def bollinger(close: pd.Series, period: int = 20, width: float = 2.0) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Lower, middle and upper Bollinger bands (population std, as Bollinger defined them)."""
    mid = sma(close, period)
    std = close.rolling(period, min_periods=period).std(ddof=0)
    return mid - width * std, mid, mid + width * std


def atr(frame: pd.DataFrame, period: int = 14) -> pd.Series:
    """Wilder's average true range, seeded by the mean of the first `period` true ranges; NaN before."""
    close = frame["Close"].astype(float)
    high, low, previous = frame["High"].astype(float), frame["Low"].astype(float), close.shift(1)
    true_range = pd.concat([high - low, (high - previous).abs(), (low - previous).abs()], axis=1).max(axis=1)
    out = pd.Series(np.nan, index=frame.index)
    if len(true_range) >= period:
        seeded = true_range.iloc[period - 1:].copy()
        seeded.iloc[0] = true_range.iloc[:period].mean()
        out.iloc[period - 1:] = seeded.ewm(alpha=1 / period, adjust=False).mean().to_numpy()
    return out


def compute_indicators(frame, names=("sma20", "sma50", "rsi", "macd", "bollinger", "atr", "volume")):
    """A copy of OHLCV `frame` with one or more columns per requested indicator.

    Names: smaN, emaN (N bars, e.g. sma50), rsi / rsiN (default 14), macd,
    bollinger (or bb), atr / atrN (default 14), volume (20-bar average volume).
    Columns added: SMA_N, EMA_N, RSI_N, MACD / MACD_signal / MACD_hist,
    BB_mid / BB_upper / BB_lower, ATR_N, AvgVolume_20. Unknown names raise
    IndicatorError listing the known ones. Too-short histories give NaN values.
    """
    out = frame.copy()
    close = out["Close"].astype(float)
    for raw in names:
        match = NAME_RE.fullmatch(str(raw).strip().lower().replace("_", "").replace("-", ""))
        if not match:
            raise IndicatorError(f"Unknown indicator {raw!r}: use smaN, emaN, rsi, macd, bollinger, atr or volume.")
        kind, digits = match.group(1), match.group(2)
        window = int(digits or (14 if kind in ("rsi", "atr") else 20))
        if not 2 <= window <= 400:
            raise IndicatorError(f"Indicator window must be between 2 and 400 bars, got {raw!r}.")
        if kind == "sma":
            out[f"SMA_{window}"] = sma(close, window)
        elif kind == "ema":
            out[f"EMA_{window}"] = ema(close, window)
        elif kind == "rsi":
            out[f"RSI_{window}"] = rsi(close, window)
        elif kind == "macd":
            out["MACD"], out["MACD_signal"], out["MACD_hist"] = macd(close)
        elif kind in ("bollinger", "bb"):
            out["BB_lower"], out["BB_mid"], out["BB_upper"] = bollinger(close, window)
        elif kind == "atr":
            out[f"ATR_{window}"] = atr(out, window)
        else:
            out[f"AvgVolume_{window}"] = sma(out["Volume"].astype(float), window)
    return out


def latest_values(frame) -> dict:
    """The last non-missing value of every indicator column of a `compute_indicators` frame (None if none yet)."""
    base = {"Open", "High", "Low", "Close", "Volume", "Dividends", "Stock Splits"}
    values = {}
    for column in frame.columns:
        if column not in base:
            series = frame[column].dropna()
            values[column] = float(series.iloc[-1]) if len(series) else None
    return values


def indicator_frames(market, symbol: str, indicators: str | None, period: str | None):
    """(symbol, daily history, history with indicator columns): the one computation behind tool and Hub tool."""
    symbol = symbol.strip().upper()
    names = [n.strip() for n in (indicators or DEFAULT_TOOL_INDICATORS).split(",") if n.strip()]
    frame = market.history(symbol, period=period or "1y", interval="1d")
    return symbol, frame, compute_indicators(frame, names[:12])


def indicator_readings(frame) -> list:
    """Plain-language readings of the latest values in a `compute_indicators` frame.

    One line per indicator, e.g. "RSI(14) 72.1: overbought (above 70)". These
    are mechanical rules of thumb, not advice.
    """
    def last(column):
        if column not in frame.columns:
            return None
        series = frame[column].dropna()
        return float(series.iloc[-1]) if len(series) else None

    def num(value):
        return f"{value:,.2f}" if abs(value) < 1e5 else f"{value:,.0f}"

    lines = []
    price = last("Close")
    for column in frame.columns:
        value = last(column)
        if column.startswith(("SMA_", "EMA_")):
            label = f"{column.split('_')[0]}({column.split('_')[1]})"
            if value is None:
                lines.append(f"{label}: not enough history")
            elif price is not None:
                side = "above" if price >= value else "below"
                gap = (price / value - 1) * 100
                lines.append(f"{label} {num(value)}: price is {side} it ({gap:+.1f}%)")
        elif column.startswith("RSI_"):
            label = f"RSI({column.split('_')[1]})"
            if value is None:
                lines.append(f"{label}: not enough history")
            elif value >= 70:
                lines.append(f"{label} {value:.1f}: overbought (above 70)")
            elif value <= 30:
                lines.append(f"{label} {value:.1f}: oversold (below 30)")
            else:
                lines.append(f"{label} {value:.1f}: neutral (30-70)")
        elif column == "MACD":
            signal, hist = last("MACD_signal"), last("MACD_hist")
            if value is None or signal is None or hist is None:
                lines.append("MACD(12,26,9): not enough history")
            else:
                trend = "bullish (MACD above signal)" if hist > 0 else "bearish (MACD below signal)"
                series = frame["MACD_hist"].dropna()
                crossed = len(series) > 1 and math.copysign(1, series.iloc[-1]) != math.copysign(1, series.iloc[-2])
                lines.append(f"MACD(12,26,9) {value:.2f}, signal {signal:.2f}: {trend}"
                             + ("; crossed on the last bar" if crossed else ""))
        elif column == "BB_mid":
            upper, lower = last("BB_upper"), last("BB_lower")
            if value is None or upper is None or lower is None or price is None:
                lines.append("Bollinger(20,2): not enough history")
            else:
                where = ("above the upper band (stretched)" if price > upper else
                         "below the lower band (stretched)" if price < lower else "inside the bands")
                width = (upper - lower) / value * 100 if value else float("nan")
                lines.append(f"Bollinger(20,2) {num(lower)} to {num(upper)}: price {where}; band width {width:.1f}%")
        elif column.startswith("ATR_"):
            label = f"ATR({column.split('_')[1]})"
            if value is None or not price:
                lines.append(f"{label}: not enough history")
            else:
                lines.append(f"{label} {num(value)}: typical daily range {value / price * 100:.1f}% of price")
        elif column.startswith("AvgVolume_"):
            volume = last("Volume")
            if value is None or not volume:
                lines.append("Average volume(20): not enough history")
            else:
                lines.append(f"Average volume(20) {value:,.0f}: last bar {volume / value:.1f}x average")
    return lines
