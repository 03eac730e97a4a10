"""Indicator values checked against the `ta` library (an independent, maintained implementation),
on real prices: TSLA's whole daily history as Yahoo recorded it (tests/fixtures/yahoo)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import ta

from market.indicators import compute_indicators, indicator_readings

FIXTURE = Path(__file__).parent / "fixtures" / "yahoo" / "chart" / "chart-TSLA-1d-div-2010-06-29-to-2023-08-11.json"


@pytest.fixture(scope="module")
def tsla() -> pd.DataFrame:
    result = json.loads(FIXTURE.read_text())["response"]["bodyJson"]["chart"]["result"][0]
    quote = result["indicators"]["quote"][0]
    frame = pd.DataFrame({"Open": quote["open"], "High": quote["high"], "Low": quote["low"],
                          "Close": quote["close"], "Volume": quote["volume"]},
                         index=pd.to_datetime(result["timestamp"], unit="s")).dropna()
    return frame.astype(float)


def same(ours: pd.Series, theirs: pd.Series) -> None:
    both = pd.concat([ours, theirs], axis=1).dropna()
    assert len(both) > 3000
    np.testing.assert_allclose(both.iloc[:, 0], both.iloc[:, 1], rtol=1e-9, atol=1e-9)
    assert ours.isna().sum() == theirs.isna().sum()


def test_sma_ema(tsla):
    out = compute_indicators(tsla, ["sma50", "ema20"])
    same(out["SMA_50"], ta.trend.SMAIndicator(tsla["Close"], 50).sma_indicator())
    same(out["EMA_20"], ta.trend.EMAIndicator(tsla["Close"], 20).ema_indicator())


def test_rsi(tsla):
    same(compute_indicators(tsla, ["rsi"])["RSI_14"], ta.momentum.RSIIndicator(tsla["Close"], 14).rsi())


def test_macd(tsla):
    out = compute_indicators(tsla, ["macd"])
    reference = ta.trend.MACD(tsla["Close"], window_slow=26, window_fast=12, window_sign=9)
    same(out["MACD"], reference.macd())
    same(out["MACD_signal"], reference.macd_signal())
    same(out["MACD_hist"], reference.macd_diff())


def test_bollinger(tsla):
    out = compute_indicators(tsla, ["bollinger"])
    reference = ta.volatility.BollingerBands(tsla["Close"], window=20, window_dev=2)
    same(out["BB_mid"], reference.bollinger_mavg())
    same(out["BB_upper"], reference.bollinger_hband())
    same(out["BB_lower"], reference.bollinger_lband())


def test_atr(tsla):
    ours = compute_indicators(tsla, ["atr"])["ATR_14"]
    theirs = ta.volatility.AverageTrueRange(tsla["High"], tsla["Low"], tsla["Close"], 14).average_true_range()
    # ta writes 0.0 where there is not enough history yet; we write NaN.
    same(ours, theirs.where(theirs.index >= theirs.index[13]))


def test_average_volume(tsla):
    ours = compute_indicators(tsla, ["volume"])["AvgVolume_20"]
    np.testing.assert_allclose(ours.iloc[-1], tsla["Volume"].iloc[-20:].mean())


def test_readings_say_what_the_numbers_mean():
    rising = pd.DataFrame({"Open": np.arange(1, 61.0), "High": np.arange(2, 62.0), "Low": np.arange(0, 60.0),
                           "Close": np.arange(1.5, 61.5), "Volume": np.full(60, 1000.0)})
    lines = indicator_readings(compute_indicators(rising, ["rsi", "sma20", "macd", "sma200"]))
    assert lines[0] == "RSI(14) 100.0: overbought (above 70)"
    assert lines[1].startswith("SMA(20) 51.00: price is above it")
    assert "bullish" in lines[2]
    assert lines[3] == "SMA(200): not enough history"
    falling = rising.iloc[::-1].reset_index(drop=True)
    assert "oversold" in indicator_readings(compute_indicators(falling, ["rsi"]))[0]


def test_unknown_indicator_is_a_clear_error(tsla):
    with pytest.raises(ValueError, match="Unknown indicator 'stochastic'"):
        compute_indicators(tsla, ["stochastic"])
    with pytest.raises(ValueError, match="between 2 and 400"):
        compute_indicators(tsla, ["sma1000"])


def test_flat_window_and_short_history_are_defined_once_for_tools_charts_and_backtests():
    from backtest import engine
    from market import indicators

    assert engine.indicators is indicators  # /backtest and /chart can no longer disagree

    flat = pd.Series(np.full(30, 100.0))
    assert indicators.rsi(flat, 14).dropna().eq(50.0).all()  # neutral, not "overbought"
    assert indicators.rsi(pd.Series(np.arange(1.0, 31.0)), 14).iloc[-1] == 100.0
    assert indicators.rsi(pd.Series(np.arange(30.0, 0.0, -1)), 14).iloc[-1] == 0.0
    short = pd.DataFrame({"Open": [1.0] * 5, "High": [1.0] * 5, "Low": [1.0] * 5, "Close": [1.0] * 5,
                          "Volume": [10.0] * 5})
    enriched = compute_indicators(short, ["sma20", "rsi", "macd", "bollinger", "atr", "volume"])
    assert enriched.drop(columns=short.columns).isna().all().all()
    assert all(line.endswith("not enough history") for line in indicator_readings(enriched))
    flat_frame = short.reindex(range(30), method="ffill")
    assert indicator_readings(compute_indicators(flat_frame, ["rsi"]))[0] == "RSI(14) 50.0: neutral (30-70)"
