"""The trader's strategy-lab tools: backtest a spec, list the specs tried, show a backtest's trades.

The model writes a strategy as a JSON-able spec (see backtest.spec), never as
code. Every run is judged in-sample and out-of-sample and logged in the
session's lab, so the refinement table and the over-fitting alarm come from
deterministic code rather than from the model's memory. A bad spec, symbol or
number raises `core.errors.UserError`, which smolagents reports to the model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from smolagents import Tool

from backtest.charts import equity_chart
from backtest.lab import StrategyLab
from backtest.report import entry_markdown, trades_markdown
from backtest.spec import PRESET_HELP, describe_presets
from backtest.validation import DEFAULT_OOS_FRACTION, evaluate
from core.errors import UserError

HistoryOf = Callable[[str, str, str], pd.DataFrame]
FigureSink = Callable[[Any, str], None]
MAX_OUTPUT_CHARS = 5000
PRESETS = tuple(PRESET_HELP)
SPEC_GRAMMAR = (
    "Presets (strategy, params):\n" + describe_presets() + "\n"
    "Spec keys: strategy, params (dict), entry (extra buy conditions, all must hold), exit (extra sell "
    "conditions, any), direction (long|short|long_short), stop_loss / take_profit (fractions, 0.05 = 5%), "
    "position_size (fraction of equity), commission, slippage (fractions; default 0.0005 each), name. "
    "A condition is [left, op, right] with op one of > < >= <= crosses_above crosses_below and operands "
    "numbers, close/open/high/low/volume, sma(N), ema(N), rsi(N), macd(F,S,G), macd_signal(F,S,G), "
    "macd_hist(F,S,G), bb_lower(N,K), bb_mid(N,K), bb_upper(N,K). "
    "Example: {'strategy': 'rsi', 'params': {'period': 14, 'low': 30, 'high': 70}, "
    "'entry': [['close', '>', 'sma(200)']], 'stop_loss': 0.08}."
)


class BacktestStrategyTool(Tool):
    name = "backtest_strategy"
    description = (
        "Backtests a strategy spec (a dict, not code) in-sample (first 70%), out-of-sample, walk-forward and vs "
        "buy-and-hold, with over-fitting warnings; logged. Presets: " + ", ".join(PRESETS)
        + ". Grammar: backtest_help(); e.g. {'strategy': 'rsi', 'params': {'period': 14}}."
    )
    inputs = {
        "symbol": {"type": "string", "description": "Ticker, e.g. 'AAPL'."},
        "spec": {"type": "any", "description": "A dict (or its JSON text)."},
        "period": {"type": "string", "description": "1y 2y 5y (default) 10y max; intraday up to 60d.",
                   "nullable": True},
        "interval": {"type": "string", "description": "1d (default), 1h, 30m, 15m, 5m.", "nullable": True},
    }
    output_type = "string"

    def __init__(self, history_of: HistoryOf, lab: StrategyLab, on_figure: FigureSink | None = None,
                 oos_fraction: float = DEFAULT_OOS_FRACTION):
        super().__init__()
        self.history_of = history_of
        self.lab = lab
        self.oos_fraction = oos_fraction
        self.on_figure = on_figure  # sends the equity chart to the chat

    def forward(self, symbol: str, spec: Any, period: str | None = None, interval: str | None = None) -> str:
        symbol = (symbol or "").strip().upper()
        period, interval = (period or "5y").strip(), (interval or "1d").strip()
        if not symbol:
            raise UserError("Give a symbol, e.g. 'AAPL'.")
        try:
            prices = self.history_of(symbol, period, interval)
            report = evaluate(prices, spec, self.oos_fraction)
        except UserError:
            raise
        except Exception as exc:  # the model gets a sentence it can act on, never a traceback
            raise UserError(f"The backtest failed ({type(exc).__name__}). Try another symbol or period.") from None
        entry = self.lab.record(symbol, period, interval, report)
        if self.on_figure is not None:
            title = f"#{entry.number} {symbol} — {report.spec.label()}"
            self.on_figure(equity_chart(report.full, title, report.split_time), title)
        from market.client import origin

        tail = f"\n\nPrices: {origin(prices)}."
        return entry_markdown(entry)[:MAX_OUTPUT_CHARS - len(tail)] + tail


class BacktestHelpTool(Tool):
    name = "backtest_help"
    description = "Spec grammar for backtest_strategy: presets and params, keys, conditions."
    inputs = {}
    output_type = "string"

    def forward(self) -> str:
        return SPEC_GRAMMAR


class BacktestTableTool(Tool):
    name = "backtest_table"
    description = ("Every spec backtested in this chat: in- and out-of-sample return and Sharpe, buy-and-hold, "
                   "trades, warnings.")
    inputs = {"symbol": {"type": "string", "description": "Only this symbol (default: all).", "nullable": True}}
    output_type = "string"

    def __init__(self, lab: StrategyLab):
        super().__init__()
        self.lab = lab

    def forward(self, symbol: str | None = None) -> str:
        return self.lab.table((symbol or "").strip() or None)[:MAX_OUTPUT_CHARS]


class BacktestTradesTool(Tool):
    name = "backtest_trades"
    description = "The trades (entries, exits, returns, exit reasons) of a logged backtest."
    inputs = {"number": {"type": "integer", "description": "Backtest number (default: the latest).",
                         "nullable": True}}
    output_type = "string"

    def __init__(self, lab: StrategyLab):
        super().__init__()
        self.lab = lab

    def forward(self, number: int | None = None) -> str:
        entry = self.lab.get(None if number is None else int(number))
        if entry is None and number is not None:
            raise UserError("No such backtest; see backtest_table for the numbers.")
        if entry is None:
            return "No backtests yet."
        return (f"Backtest #{entry.number} {entry.symbol}, {entry.label}:\n"
                + trades_markdown(entry.trades))[:MAX_OUTPUT_CHARS]


def backtest_tools(history_of: HistoryOf, lab: StrategyLab, on_figure: FigureSink | None = None) -> list[Tool]:
    """The strategy-lab tools for one session's trader; `lab` is `backtest.lab.lab_for(session, store)`."""
    return [BacktestStrategyTool(history_of, lab, on_figure), BacktestHelpTool(), BacktestTableTool(lab),
            BacktestTradesTool(lab)]
