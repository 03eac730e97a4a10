"""Recorded Yahoo chart responses (tests/fixtures/prices) as OHLCV frames, for tests and benchmarks."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

PRICES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "prices"



def load_chart(name: str) -> pd.DataFrame:
    """A recorded Yahoo chart response -> OHLCV frame (timestamps + indicators.quote), as Yahoo sent it."""
    response = json.loads((PRICES / name).read_text(encoding="utf-8"))["response"]
    body = response["bodyJson"] if "bodyJson" in response else json.loads(response["body"])
    result = body["chart"]["result"][0]
    quote = result["indicators"]["quote"][0]
    index = pd.to_datetime(result["timestamp"], unit="s", utc=True).tz_convert(result["meta"]["exchangeTimezoneName"])
    frame = pd.DataFrame({"Open": quote["open"], "High": quote["high"], "Low": quote["low"],
                          "Close": quote["close"], "Volume": quote["volume"]}, index=index, dtype="float64")
    return frame.dropna(subset=["Close"])


def tsla_daily() -> pd.DataFrame:
    return load_chart("chart-TSLA-1d-div-2010-06-29-to-2023-08-11.json")


def aapl_2020() -> pd.DataFrame:
    return load_chart("chart-AAPL-1d-2020-01-01-to-2021-01-04.json")


def tsla_30m() -> pd.DataFrame:
    return load_chart("chart-TSLA-30m-2021-11-22.json")
