"""The read-only analysis tools as plain functions, for MCP clients: a thin adapter over the agents' tools.

Each function calls the same tool class the trader agent uses (tools/market.py, tools/indicators.py,
tools/charts.py, tools/backtest.py, tools/forecast.py), bound to the app's shared cached `MarketData`, so a
figure here is the figure the chat shows. Nothing here can reach a ticket, an order, a broker or a person's data:
it is handed only the market-data client.
"""

from __future__ import annotations

import json
from typing import Any

from core.errors import UserError
from tools.backtest import BacktestStrategyTool
from tools.charts import PerformanceChartTool, PriceChartTool
from tools.forecast import ForecastPriceTool
from tools.indicators import TechnicalIndicatorsTool
from tools.market import (
    CompanyProfileTool,
    CompareStocksTool,
    PriceHistoryTool,
    StockNewsTool,
    StockQuoteTool,
    SymbolSearchTool,
)

TEXT_TOOLS = {
    "stock_quote": StockQuoteTool,
    "price_history": PriceHistoryTool,
    "company_profile": CompanyProfileTool,
    "stock_news": StockNewsTool,
    "symbol_search": SymbolSearchTool,
    "compare_stocks": CompareStocksTool,
    "technical_indicators": TechnicalIndicatorsTool,
    "forecast_price": ForecastPriceTool,  # without its fan chart (no figure sink): the numbers and the verdict
}
CHART_TOOLS = {"price_chart": PriceChartTool, "performance_chart": PerformanceChartTool}


def as_text(result: Any) -> str:
    """A tool's result as text for an MCP client. Most tools return a structured dict (numbers, `as_of`, `source`,
    `summary`): its summary, then the other fields as JSON; a text result (a backtest) is returned as is. A tool that
    fails raises `UserError`, which `Analysis._run` answers as "Error: …"."""
    if isinstance(result, str):
        return result
    for method in ("to_text", "text"):
        render = getattr(result, method, None)
        if callable(render):
            return render()
    to_dict = getattr(result, "to_dict", None)
    data = to_dict() if callable(to_dict) else result
    if isinstance(data, dict) and isinstance(data.get("summary"), str):  # a structured tool result
        rest = {key: value for key, value in data.items() if key != "summary"}
        return data["summary"] + "\n\nData (JSON): " + json.dumps(rest, default=str)
    return json.dumps(data, default=str)


class Analysis:
    """The read-only tools over one shared market-data client; each call is independent."""

    def __init__(self, market: Any, tool_counter=None):
        self.market = market
        self.tool_counter = tool_counter  # callable(tool_name, ok: bool), e.g. the tool-call metrics

    def _run(self, name: str, tool: Any, *args: Any, **arguments: Any) -> str:
        """The tool's answer as text; a problem the person can fix (UserError) is a plain "Error: …" answer, and
        counts as a failed call like an "Error: …" result does."""
        try:
            text = as_text(tool.forward(*args, **arguments))
            ok = not text.startswith("Error")
        except UserError as exc:
            text, ok = f"Error: {exc.user_message}", False
        if self.tool_counter is not None:
            self.tool_counter(name, ok)
        return text

    def text(self, name: str, **arguments: Any) -> str:
        """Run the text tool `name` (a key of TEXT_TOOLS); structured results come back as JSON."""
        return self._run(name, TEXT_TOOLS[name](self.market), **arguments)

    def chart(self, name: str, **arguments: Any) -> dict:
        """Run the chart tool `name`: {"summary": text, "figure": plotly JSON or None}."""
        figures: list = []
        tool = CHART_TOOLS[name](self.market, on_figure=lambda figure, title: figures.append(figure))
        summary = self._run(name, tool, **arguments).replace("Chart shown to the user", "Chart built")
        figure = json.loads(figures[-1].to_json()) if figures else None
        return {"summary": summary, "figure": figure}

    def backtest(self, symbol: str, spec: Any, period: str | None = None, interval: str | None = None) -> str:
        """One backtest in a throwaway lab (nothing is remembered between calls)."""
        from backtest.lab import StrategyLab

        def history_of(sym: str, per: str = "5y", itv: str = "1d"):
            return self.market.history(sym, period=per, interval=itv)

        return self._run("backtest_strategy", BacktestStrategyTool(history_of, StrategyLab()), symbol, spec, period,
                         interval)
