"""Chart builders: panels present, downsampling keeps OHLC meaning, payloads stay small."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from market.charts import performance_chart, price_chart
from market.downsample import downsample_ohlcv

CHARTS = Path(__file__).parent / "fixtures" / "yahoo" / "chart"


def load(name: str) -> pd.DataFrame:
    raw = json.loads((CHARTS / name).read_text())["response"]
    body = raw.get("bodyJson") or json.loads(raw["body"])
    result = body["chart"]["result"][0]
    q = result["indicators"]["quote"][0]
    return pd.DataFrame({"Open": q["open"], "High": q["high"], "Low": q["low"], "Close": q["close"],
                         "Volume": q["volume"]},
                        index=pd.to_datetime(result["timestamp"], unit="s", utc=True)).dropna().astype(float)


@pytest.fixture(scope="module")
def tsla() -> pd.DataFrame:
    return load("chart-TSLA-1d-div-2010-06-29-to-2023-08-11.json")  # 13 years of real daily bars


def test_downsampling_merges_bars_faithfully(tsla):
    small = downsample_ohlcv(tsla, 600)
    assert len(small) <= 600 and len(tsla) > 3000
    assert small["High"].max() == tsla["High"].max() and small["Low"].min() == tsla["Low"].min()
    assert small["Volume"].sum() == tsla["Volume"].sum()
    assert small["Open"].iloc[0] == tsla["Open"].iloc[0] and small["Close"].iloc[-1] == tsla["Close"].iloc[-1]
    assert downsample_ohlcv(tsla.iloc[:100], 600) is not None and len(downsample_ohlcv(tsla.iloc[:100], 600)) == 100


def test_ten_years_of_daily_bars_with_all_panels_stays_under_300_kb(tsla):
    figure = price_chart(tsla, "TSLA", "max", ["sma50", "sma200", "bollinger", "rsi", "macd"])
    payload = figure.to_json()
    assert len(payload.encode()) <= 300_000
    kinds = [trace.type for trace in figure.data]
    assert kinds[:2] == ["candlestick", "bar"]
    names = {trace.name for trace in figure.data}
    assert {"SMA 50", "SMA 200", "Bollinger upper", "Bollinger lower", "RSI 14", "MACD", "Signal"} <= names
    assert "each bar =" in figure.layout.title.text


def test_a_day_of_minute_bars_is_an_intraday_chart():
    minute = load("chart-AAPL-1m-2024-10-02-to-2024-10-03.json")
    figure = price_chart(minute, "AAPL", "1d", ["ema20"])
    assert figure.data[0].x[0].count(":") == 1  # "YYYY-MM-DD HH:MM" labels
    assert len(figure.to_json()) < 300_000


def test_performance_chart_rebases_to_100():
    closes = pd.DataFrame({"A": [10.0, 11.0, 12.0], "B": [50.0, 45.0, 40.0]},
                          index=pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"]))
    figure = performance_chart(closes, "3d")
    assert [list(trace.y) for trace in figure.data] == [[100.0, 110.0, 120.0], [100.0, 90.0, 80.0]]
