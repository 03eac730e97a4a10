"""Chart tools: the agent asks for a chart, the person sees an interactive plotly figure in the chat.

A chart tool returns a short text for the model ("Chart shown to the user:
...") and hands the figure to its `on_figure(figure, title)` callback, which
the team builder points at the running turn; None means no chat to show it
in (e.g. the Hub copy), and the text then says so. The figures come from the
one chart pipeline in market.charts, the same as /chart and /compare.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from market.charts import performance_chart_for, price_chart_for
from market.formatting import chart_text
from tools.market_base import PERIOD, SYMBOL, MarketTool

FigureSink = Callable[[Any, str], None]


class ChartTool(MarketTool):
    def __init__(self, market, on_figure: FigureSink | None = None):
        super().__init__(market)
        self.on_figure = on_figure

    def show(self, figure, title: str, detail: str) -> str:
        sink = self.on_figure
        if sink is not None:
            sink(figure, title)
        return chart_text(title, sink is not None, detail)


class PriceChartTool(ChartTool):
    name = "price_chart"
    description = ("Shows the person a candlestick + volume chart of one ticker with overlays (smaN, emaN, "
                   "bollinger) and panels (rsi, macd).")
    inputs = {
        "symbol": SYMBOL,
        "period": {"type": "string", "description": f"{PERIOD}; default 1y.", "nullable": True},
        "indicators": {"type": "string", "description": "Comma-separated, e.g. 'sma50,rsi'; default 'sma50'.",
                       "nullable": True},
        "interval": {"type": "string", "description": "1d (default) 1wk; 1m 5m 15m 1h for short periods.",
                     "nullable": True},
    }

    def forward(self, symbol: str, period: str | None = None, indicators: str | None = None,
                interval: str | None = None) -> str:
        return self.show(*price_chart_for(self.market, symbol, period, indicators, interval))


class PerformanceChartTool(ChartTool):
    name = "performance_chart"
    description = "Shows the person 2-20 tickers' performance rebased to 100; returns each ticker's return."
    inputs = {
        "symbols": {"type": "string", "description": "Comma-separated, e.g. 'AAPL,MSFT'."},
        "period": {"type": "string", "description": f"{PERIOD}; default 1y.", "nullable": True},
    }

    def forward(self, symbols: str, period: str | None = None) -> str:
        return self.show(*performance_chart_for(self.market, symbols, period))
