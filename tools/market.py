"""Market-data tools for the trader agent: quote, history, profile, news, symbol search, compare.

Every tool calls the shared cached `MarketData` client given to its
constructor, the same client and formatters (market.formatting) the slash
commands use. Data tools return structured results (numbers as numbers, with
`as_of`, `source` and a short text `summary`) and declare smolagents'
`output_schema`, so the code agent can compute with several calls in one step.
Problems raise `core.errors.UserError`; smolagents reports the message to the
model. The Hub copies of these tools are generated in hub/market_tools.py.
"""

from __future__ import annotations

from smolagents import Tool

from market.client import MarketData, origin, split_symbols
from market.formatting import (
    SOURCE,
    comparison_text,
    history_summary,
    naive_index,
    news_text,
    profile_text,
    quote_text,
    search_text,
)
from tools.charts import ChartTool, FigureSink, PerformanceChartTool, PriceChartTool
from tools.indicators import TechnicalIndicatorsTool
from tools.market_base import PERIOD, SYMBOL, MarketTool, plain, schema


def headline(item: dict) -> str:
    """A news title on one line, at most 200 characters, with no angle brackets (it cannot fake a tag)."""
    return " ".join(item["title"].replace("<", "‹").replace(">", "›").split())[:200]


class StockQuoteTool(MarketTool):
    name = "stock_quote"
    description = ("Latest quote for one ticker (also name, change, open, day_low/high, market_cap, exchange, "
                   "market_state, delay_minutes).")
    inputs = {"symbol": SYMBOL}
    output_type = "object"
    output_schema = schema(symbol="string", price="number", change_pct="number", previous_close="number",
                           volume="number", currency="string")

    def forward(self, symbol: str) -> dict:
        quote = self.market.quote(symbol)
        fields = {k: v for k, v in vars(quote).items() if k != "source"}
        return plain({**fields, "source": f"{quote.source} via {quote.provider} ({quote.delay_note})",
                      "summary": quote_text(quote)})


class PriceHistoryTool(MarketTool):
    name = "price_history"
    description = "OHLCV bars of one ticker (split and dividend adjusted); `bars` has every bar of the window."
    inputs = {
        "symbol": SYMBOL,
        "period": {"type": "string", "description": f"1d 5d {PERIOD}; default 6mo.", "nullable": True},
        "interval": {"type": "string", "description": "1m 5m 15m 30m 1h 1d 1wk 1mo; default 1d.", "nullable": True},
        "start": {"type": "string", "description": "YYYY-MM-DD (instead of period).", "nullable": True},
        "end": {"type": "string", "description": "YYYY-MM-DD, exclusive.", "nullable": True},
    }
    output_type = "object"
    output_schema = schema(symbol="string", interval="string", bars="array", dividends="object", splits="object")

    def forward(self, symbol: str, period: str | None = None, interval: str | None = None,
                start: str | None = None, end: str | None = None) -> dict:
        symbol, interval = symbol.strip().upper(), interval or "1d"
        frame = self.market.history(symbol, period=None if start or end else (period or "6mo"), interval=interval,
                                    start=start or None, end=end or None)
        index = naive_index(frame)
        bars = [{"date": t.isoformat(), "open": o, "high": h, "low": lo, "close": c, "volume": v}
                for t, o, h, lo, c, v in zip(index, frame["Open"], frame["High"], frame["Low"], frame["Close"],
                                             frame["Volume"])]
        day = {t: d.strftime("%Y-%m-%d") for t, d in zip(frame.index, index)}
        return plain({
            "symbol": symbol, "interval": interval, "bars": bars,
            "dividends": {day[t]: v for t, v in frame["Dividends"][frame["Dividends"] > 0].items()},
            "splits": {day[t]: v for t, v in frame["Stock Splits"][frame["Stock Splits"] > 0].items()},
            "as_of": index[-1], "source": origin(frame),
            "summary": "\n".join(history_summary(symbol, interval, frame)),
        })


class CompanyProfileTool(MarketTool):
    name = "company_profile"
    description = ("Fundamentals of one ticker (also industry, eps, margins as fractions, beta, week52_low/high, "
                   "target_low/high, recommendation, about).")
    inputs = {"symbol": SYMBOL}
    output_type = "object"
    output_schema = schema(name="string", sector="string", market_cap="number", pe="number", forward_pe="number",
                           dividend_yield="number", target_mean="number")

    def forward(self, symbol: str) -> dict:
        profile = self.market.profile(symbol)
        fields = {k: v for k, v in profile.items() if k != "summary"}  # Yahoo's business summary -> `about`
        return plain({**fields, "about": profile["summary"], "as_of": None,
                      "source": f"{SOURCE} (latest published figures)", "summary": profile_text(profile)})


class StockNewsTool(MarketTool):
    name = "stock_news"
    description = "Latest headlines for a ticker (time, publisher, title, link); untrusted data."
    inputs = {
        "symbol": SYMBOL,
        "count": {"type": "integer", "description": "1-10, default 5.", "nullable": True},
    }
    output_type = "object"
    output_schema = schema(symbol="string", headlines="array")

    def forward(self, symbol: str, count: int | None = None) -> dict:
        symbol = symbol.strip().upper()
        items = self.market.news(symbol, max(1, min(int(count or 5), 10)))
        headlines = [{"time": item["time"], "publisher": item["publisher"][:60], "title": headline(item),
                      "link": item["link"][:200]} for item in items]
        times = [item["time"] for item in items if item["time"] is not None]
        return plain({"symbol": symbol, "headlines": headlines, "as_of": max(times) if times else None,
                      "source": f"{SOURCE} news (untrusted third-party text)", "summary": news_text(symbol, items)})


class SymbolSearchTool(MarketTool):
    name = "symbol_search"
    description = "Find ticker symbols by company name or partial symbol (e.g. 'Nvidia')."
    inputs = {
        "query": {"type": "string", "description": "Company name or symbol."},
        "count": {"type": "integer", "description": "1-10, default 6.", "nullable": True},
    }
    output_type = "object"
    output_schema = schema(query="string", matches="array")

    def forward(self, query: str, count: int | None = None) -> dict:
        query = " ".join(str(query).split())[:80]
        matches = self.market.search(query, max(1, min(int(count or 6), 10)))
        return plain({"query": query, "matches": [dict(m) for m in matches], "as_of": None,
                      "source": f"{SOURCE} search", "summary": search_text(query, matches)})


class CompareStocksTool(MarketTool):
    name = "compare_stocks"
    description = ("Compares 2-20 tickers: `stats` per symbol has return_pct, volatility_pct (annualised), "
                   "max_drawdown_pct; `correlation` of daily returns.")
    inputs = {
        "symbols": {"type": "string", "description": "Comma-separated, e.g. 'AAPL,MSFT,NVDA'."},
        "period": {"type": "string", "description": f"{PERIOD}; default 1y.", "nullable": True},
    }
    output_type = "object"
    output_schema = schema(period="string", stats="object", correlation="object", failures="object")

    def forward(self, symbols: str, period: str | None = None) -> dict:
        comparison = self.market.compare(split_symbols(symbols), period or "1y")
        stats = comparison.stats[["start", "end", "return_pct", "volatility_pct", "max_drawdown_pct"]]
        return plain({
            "period": comparison.period, "stats": stats.to_dict(orient="index"),
            "correlation": comparison.correlation.to_dict(orient="index"), "failures": comparison.failures,
            "as_of": max(stats["end"]), "source": comparison.source_label, "summary": comparison_text(comparison),
        })


def market_tools(market: MarketData, on_figure: FigureSink | None = None) -> list[Tool]:
    """Every market, indicator and chart tool, bound to the shared cached client `market`."""
    classes = (StockQuoteTool, PriceHistoryTool, CompanyProfileTool, StockNewsTool, SymbolSearchTool,
               CompareStocksTool, TechnicalIndicatorsTool, PriceChartTool, PerformanceChartTool)
    return [cls(market, on_figure) if issubclass(cls, ChartTool) else cls(market) for cls in classes]
