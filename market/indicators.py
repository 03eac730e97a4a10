"""Technical indicators from OHLCV history (vectorised pandas) and their plain readings.

The conventions are the common ones (the `ta` library's, which the tests
check against): SMA = rolling mean; EMA with span n, adjust=False; RSI and
ATR with Wilder's smoothing (alpha 1/n; ATR seeded by the mean of the first
n true ranges); MACD 12/26/9; Bollinger 20 bars, 2 population std devs.

Both functions are self-contained so the indicator and chart tools can carry
them to the Hub (see market.hub).
"""

from __future__ import annotations

DEFAULT_INDICATORS = ("sma20", "sma50", "sma200", "ema20", "rsi", "macd", "bollinger", "atr", "volume")


def compute_indicators(frame, names=("sma20", "sma50", "rsi", "macd", "bollinger", "atr", "volume")):
    """A copy of OHLCV `frame` with one or more columns per requested indicator.

    Names: smaN, emaN (N bars, e.g. sma50), rsi / rsiN (default 14), macd,
    bollinger (or bb), atr / atrN (default 14), volume (20-bar average volume).
    Columns added: SMA_N, EMA_N, RSI_N, MACD / MACD_signal / MACD_hist,
    BB_mid / BB_upper / BB_lower, ATR_N, AvgVolume_20. Unknown names raise
    ValueError listing the known ones. Too-short histories give NaN values.
    """
    import re

    import numpy as np
    import pandas as pd

    out = frame.copy()
    close = out["Close"].astype(float)
    for raw in names:
        name = str(raw).strip().lower().replace("_", "").replace("-", "")
        match = re.fullmatch(r"(sma|ema|rsi|atr|macd|bollinger|bb|volume|avgvolume)(\d{0,4})", name)
        if not match:
            raise ValueError(f"Unknown indicator {raw!r}: use smaN, emaN, rsi, macd, bollinger, atr or volume.")
        kind, digits = match.group(1), match.group(2)
        if kind in ("sma", "ema"):
            window = int(digits or 20)
        elif kind in ("rsi", "atr"):
            window = int(digits or 14)
        else:
            window = int(digits or 20)
        if not 2 <= window <= 400:
            raise ValueError(f"Indicator window must be between 2 and 400 bars, got {raw!r}.")
        if kind == "sma":
            out[f"SMA_{window}"] = close.rolling(window, min_periods=window).mean()
        elif kind == "ema":
            out[f"EMA_{window}"] = close.ewm(span=window, min_periods=window, adjust=False).mean()
        elif kind == "rsi":
            diff = close.diff()
            gain = diff.where(diff > 0, 0.0).ewm(alpha=1 / window, min_periods=window, adjust=False).mean()
            loss = (-diff.where(diff < 0, 0.0)).ewm(alpha=1 / window, min_periods=window, adjust=False).mean()
            rsi = 100 - 100 / (1 + gain / loss)
            out[f"RSI_{window}"] = rsi.where(loss != 0, 100.0).where(gain.notna())
        elif kind == "macd":
            fast = close.ewm(span=12, min_periods=12, adjust=False).mean()
            slow = close.ewm(span=26, min_periods=26, adjust=False).mean()
            macd = fast - slow
            signal = macd.ewm(span=9, min_periods=9, adjust=False).mean()
            out["MACD"], out["MACD_signal"], out["MACD_hist"] = macd, signal, macd - signal
        elif kind in ("bollinger", "bb"):
            mid = close.rolling(window, min_periods=window).mean()
            std = close.rolling(window, min_periods=window).std(ddof=0)
            out["BB_mid"], out["BB_upper"], out["BB_lower"] = mid, mid + 2 * std, mid - 2 * std
        elif kind == "atr":
            high, low = out["High"].astype(float), out["Low"].astype(float)
            previous = close.shift(1)
            true_range = pd.concat([high - low, (high - previous).abs(), (low - previous).abs()], axis=1).max(axis=1)
            atr = pd.Series(np.nan, index=out.index)
            if len(true_range) >= window:
                seeded = true_range.iloc[window - 1:].copy()
                seeded.iloc[0] = true_range.iloc[:window].mean()
                atr.iloc[window - 1:] = seeded.ewm(alpha=1 / window, adjust=False).mean().to_numpy()
            out[f"ATR_{window}"] = atr
        else:
            out[f"AvgVolume_{window}"] = out["Volume"].astype(float).rolling(window, min_periods=window).mean()
    return out


def indicator_readings(frame) -> list:
    """Plain-language readings of the latest values in a `compute_indicators` frame.

    One line per indicator, e.g. "RSI(14) 72.1: overbought (above 70)". These
    are mechanical rules of thumb, not advice.
    """
    import math

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
