"""The Hub-shareable market tools: text answers from the app's own client and formatters, as one generated tool.py.

Each class here is a plain smolagents `Tool` with the name, description and
inputs of the app's tool (tools/), answering in text with market.formatting
(the same text the slash commands show). `to_dict()` (used by `save()` and
`push_to_hub()`) writes a self-contained tool.py: the source of the market
modules below, without the imports between them, then the class itself. So the
published copy runs on its own with the same client (cache, retries, clear
errors) and the same formatting, and the in-app tools stay ordinary classes.
A copy with no client reads YAHOO_BASE_URL and MARKET_TIMEOUT_S like the app.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from functools import lru_cache
from pathlib import Path

from smolagents import Tool
from smolagents._function_type_hints_utils import get_imports

from hub.market_client import shared_market
from market.charts import performance_chart_for, price_chart_for
from market.client import split_symbols
from market.formatting import (
    chart_text,
    comparison_text,
    history_text,
    indicators_text,
    news_text,
    profile_text,
    quote_text,
    search_text,
)
from market.indicators import indicator_frames, indicator_readings
from tools import charts as app_charts
from tools import indicators as app_indicators
from tools import market as app_market

ROOT = Path(__file__).resolve().parent.parent
# Dependency order: a module comes after every module it imports from.
EMBEDDED_MODULES = ("core/errors.py", "core/symbols.py", "core/text.py", "market/errors.py", "market/cache.py",
                    "market/http.py", "market/yahoo.py", "market/health.py", "market/sources.py",
                    "market/performance.py", "market/client.py",
                    "market/downsample.py", "market/indicators.py", "core/chart_style.py", "market/charts.py",
                    "market/formatting.py", "hub/market_client.py")
# Tool.from_code exec()s the code in a module it does not register, under smolagents' own
# `from __future__ import annotations`; dataclasses then look their module up in sys.modules.
LOADER_PREAMBLE = ("import sys\nimport types\n\nfrom smolagents import Tool\n\n"
                   "sys.modules.setdefault(__name__, types.ModuleType(__name__))\n\n")
OUR_PACKAGES = ("core", "market", "hub", "tools", "agents")


@lru_cache(maxsize=1)
def embedded_modules() -> tuple[str, frozenset[str]]:
    """The market modules' standalone source, once per process, and the packages it imports."""
    source = "\n\n".join(standalone_source(path) for path in EMBEDDED_MODULES)
    return source, frozenset(name for name in get_imports(source) if name not in sys.stdlib_module_names)


def standalone_source(path: str) -> str:
    """A module's source without its docstring, `from __future__` and imports of our own packages."""
    source = (ROOT / path).read_text(encoding="utf-8")
    tree = ast.parse(source)
    lines = source.splitlines()
    drop: set[int] = set()
    for i, node in enumerate(tree.body):
        ours = isinstance(node, ast.ImportFrom) and (node.module == "__future__"
                                                     or (node.module or "").split(".")[0] in OUR_PACKAGES)
        docstring = i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if ours or docstring:
            drop.update(range(node.lineno - 1, node.end_lineno))
    kept = "\n".join(line for n, line in enumerate(lines) if n not in drop).strip()
    return f"# --- from {path} ---\n{kept}\n"


def class_source(tool: Tool) -> str:
    """The tool's class as standalone source: literal attributes, then its own and its base's methods."""
    cls = type(tool)
    methods = [getattr(cls, name) for name in ("__init__", "data", "forward")]
    body = "\n".join(textwrap.indent(textwrap.dedent(inspect.getsource(m)), "    ") for m in methods)
    return (f"class {cls.__name__}(Tool):\n    name = {tool.name!r}\n    description = {tool.description!r}\n"
            f"    inputs = {tool.inputs!r}\n    output_type = \"string\"\n\n{body}")


# The Hub copies answer in text; where the app tool's description speaks of structured fields, say it in text.
TEXT_DESCRIPTIONS = {
    "stock_quote": (
        "Latest quote for one ticker: price, change, day range, volume, market cap, currency, exchange, "
        "market state, and the time of the data with its delay."),
    "price_history": (
        "OHLCV price history for one ticker as a compact table (at most ~25 evenly spaced rows) with a "
        "summary, dividends and splits; adjusted for splits and dividends."),
    "company_profile": (
        "Company profile and fundamentals for one ticker: sector, industry, P/E, forward P/E, EPS, "
        "dividend yield, margins, beta, 52-week range, analyst target price and recommendation."),
    "compare_stocks": (
        "Compare 2-20 tickers over a window: total return, annualised volatility, max drawdown, and the "
        "correlation of daily returns."),
    "technical_indicators": (
        "Technical indicators for one ticker from its daily history (smaN, emaN, rsi, macd, bollinger, "
        "atr, volume), each with a plain reading, e.g. 'RSI(14) 72.1: overbought'. Not advice."),
}


class HubMarketTool(Tool):
    """A shareable market tool: the app tool's name and inputs; answers in text."""

    output_type = "string"
    app_tool: type[Tool]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.name, cls.inputs = cls.app_tool.name, cls.app_tool.inputs
        cls.description = TEXT_DESCRIPTIONS.get(cls.name, cls.app_tool.description)

    def __init__(self, market=None):
        super().__init__()
        self.market = market

    def data(self):
        return self.market if self.market is not None else shared_market()

    def to_dict(self) -> dict:
        modules, requirements = embedded_modules()
        code = LOADER_PREAMBLE + modules + "\n\n" + class_source(self)
        return {"name": self.name, "code": code, "requirements": sorted(requirements | {"smolagents"})}


class StockQuoteTool(HubMarketTool):
    app_tool = app_market.StockQuoteTool

    def forward(self, symbol: str) -> str:
        return quote_text(self.data().quote(symbol))


class PriceHistoryTool(HubMarketTool):
    app_tool = app_market.PriceHistoryTool

    def forward(self, symbol: str, period: str | None = None, interval: str | None = None,
                start: str | None = None, end: str | None = None) -> str:
        symbol, interval = symbol.strip().upper(), interval or "1d"
        frame = self.data().history(symbol, period=None if start or end else (period or "6mo"), interval=interval,
                                    start=start or None, end=end or None)
        return history_text(symbol, interval, frame)


class CompanyProfileTool(HubMarketTool):
    app_tool = app_market.CompanyProfileTool

    def forward(self, symbol: str) -> str:
        return profile_text(self.data().profile(symbol))


class StockNewsTool(HubMarketTool):
    app_tool = app_market.StockNewsTool

    def forward(self, symbol: str, count: int | None = None) -> str:
        symbol = symbol.strip().upper()
        return news_text(symbol, self.data().news(symbol, max(1, min(int(count or 5), 10))))


class SymbolSearchTool(HubMarketTool):
    app_tool = app_market.SymbolSearchTool

    def forward(self, query: str, count: int | None = None) -> str:
        query = " ".join(str(query).split())[:80]
        return search_text(query, self.data().search(query, max(1, min(int(count or 6), 10))))


class CompareStocksTool(HubMarketTool):
    app_tool = app_market.CompareStocksTool

    def forward(self, symbols: str, period: str | None = None) -> str:
        return comparison_text(self.data().compare(split_symbols(symbols), period or "1y"))


class TechnicalIndicatorsTool(HubMarketTool):
    app_tool = app_indicators.TechnicalIndicatorsTool

    def forward(self, symbol: str, indicators: str | None = None, period: str | None = None) -> str:
        symbol, frame, enriched = indicator_frames(self.data(), symbol, indicators, period)
        return indicators_text(symbol, frame, indicator_readings(enriched))


class PriceChartTool(HubMarketTool):
    app_tool = app_charts.PriceChartTool

    def forward(self, symbol: str, period: str | None = None, indicators: str | None = None,
                interval: str | None = None) -> str:
        figure, title, detail = price_chart_for(self.data(), symbol, period, indicators, interval)
        return chart_text(title, False, detail)


class PerformanceChartTool(HubMarketTool):
    app_tool = app_charts.PerformanceChartTool

    def forward(self, symbols: str, period: str | None = None) -> str:
        figure, title, detail = performance_chart_for(self.data(), symbols, period)
        return chart_text(title, False, detail)


HUB_MARKET_TOOLS = (StockQuoteTool, PriceHistoryTool, CompanyProfileTool, StockNewsTool, SymbolSearchTool,
                    CompareStocksTool, TechnicalIndicatorsTool, PriceChartTool, PerformanceChartTool)


def hub_market_tools(market=None) -> list[Tool]:
    """The shareable market tools; `market` binds them to a client (default: one read from the environment)."""
    return [cls(market) for cls in HUB_MARKET_TOOLS]
