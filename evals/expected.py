"""Expected answers, computed by our own domain code from the recorded data the team will see.

An expectation is named by a key, e.g. `quote:AAPL:price`, `history:AAPL:1y:return_pct`,
`compare:AAPL,MSFT,GOOG:1y:return_pct:GOOG`, `best:AAPL,MSFT,GOOG:1y:return_pct` (a symbol),
`indicator:AAPL:RSI_14`, `backtest:AAPL:5y:sma_cross:out_of_sample.total_return`. Nothing is typed by hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from backtest.validation import evaluate
from core.errors import UserError
from market.indicators import compute_indicators

HISTORY_STATS = {
    "last_close": lambda f: f["Close"].iloc[-1],
    "first_close": lambda f: f["Close"].iloc[0],
    "return_pct": lambda f: (f["Close"].iloc[-1] / f["Close"].iloc[0] - 1) * 100,
    "high": lambda f: f["High"].max(),
    "low": lambda f: f["Low"].min(),
}


class ExpectationError(UserError):
    pass


def _quote(market, symbol: str, field: str) -> float:
    return getattr(market.quote(symbol), field)


def _history(market, symbol: str, period: str, stat: str) -> float:
    return HISTORY_STATS[stat](market.history(symbol, period=period))


def _compare(market, symbols: str, period: str, field: str, symbol: str) -> float:
    return market.compare(symbols.split(","), period).stats.loc[symbol, field]


def _best(market, symbols: str, period: str, field: str) -> str:
    return str(market.compare(symbols.split(","), period).stats[field].idxmax())


INDICATOR_OF = {"MACD": "macd", "BB": "bollinger", "AvgVolume": "volume"}


def _indicator(market, symbol: str, column: str) -> float:
    name = INDICATOR_OF.get(column.split("_")[0], column.replace("_", "").lower())  # RSI_14 -> rsi14
    frame = compute_indicators(market.history(symbol, period="1y"), [name])
    return frame[column].dropna().iloc[-1]


def _backtest(market, symbol: str, period: str, preset: str, metric: str) -> float:
    report = evaluate(market.history(symbol, period=period), {"strategy": preset})
    part, name = metric.split(".")
    return getattr(report, part).metrics[name]


RESOLVERS: dict[str, Callable[..., Any]] = {
    "quote": _quote, "history": _history, "compare": _compare, "best": _best, "indicator": _indicator,
    "backtest": _backtest,
}


def compute(market: Any, key: str) -> Any:
    kind, *args = key.split(":")
    if kind not in RESOLVERS:
        raise ExpectationError(f"Unknown expectation {key!r}: use one of {', '.join(RESOLVERS)}.")
    value = RESOLVERS[kind](market, *args)
    if isinstance(value, str):
        return value
    value = float(value)
    if math.isnan(value) or value == 0:  # zero: no rounding tolerance can tell a right answer from a guess
        raise ExpectationError(f"Expectation {key!r} has no usable value in the recorded data ({value}).")
    return value


def compute_all(market: Any, keys: set[str]) -> dict[str, Any]:
    return {key: compute(market, key) for key in sorted(keys)}
