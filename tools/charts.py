"""Chart tools: the agent asks for a chart, the person sees an interactive plotly figure in the chat.

A chart tool returns a short text for the model ("Chart shown to the user:
...") and hands the figure to its `on_figure(figure, title)` callback, which
the team builder sets to emit a ChatItem(kind="chart"); None means no sink
(e.g. a copy loaded from the Hub), and the text then says so.
"""

from __future__ import annotations

from smolagents import Tool

from market.charts import performance_figure, price_figure
from market.downsample import downsample_ohlcv
from market.hub import carries
from market.indicators import compute_indicators
from market.performance import compare_closes
from tools.market import DATA_HELPERS


@carries(*DATA_HELPERS, compute_indicators, downsample_ohlcv, price_figure)
class PriceChartTool(Tool):
    name = "price_chart"
    description = ("Show the user an interactive candlestick chart with volume for one ticker, optionally with "
                   "overlays (smaN, emaN, bollinger) and panels (rsi, macd). Returns a one-line confirmation; "
                   "the chart itself goes to the user.")
    inputs = {
        "symbol": {"type": "string", "description": "Ticker symbol, e.g. AAPL."},
        "period": {"type": "string", "description": "1mo 3mo 6mo 1y 2y 5y 10y ytd max. Default 1y.", "nullable": True},
        "indicators": {"type": "string", "description": "Comma-separated, e.g. 'sma50,sma200,rsi,macd'. Default 'sma50'.", "nullable": True},
        "interval": {"type": "string", "description": "1d (default), 1wk, or intraday 1m 5m 15m 1h for short periods.", "nullable": True},
    }
    output_type = "string"

    def __init__(self, data_client=None, on_figure=None):
        super().__init__()
        self.data_client = data_client
        self.on_figure = on_figure

    def forward(self, symbol: str, period: str | None = None, indicators: str | None = None,
                interval: str | None = None) -> str:
        helpers = type(self)
        symbol = symbol.strip().upper()
        period = period or "1y"
        interval = interval or "1d"
        names = [n.strip() for n in (indicators if indicators is not None else "sma50").split(",") if n.strip()]
        try:
            frame = helpers.load_market(helpers, self.data_client, "history", symbol,
                                        {"period": period, "interval": interval})
            enriched = helpers.compute_indicators(frame, names[:8]) if names else frame
        except Exception as exc:
            return f"Error: {getattr(exc, 'user_message', None) or exc}"
        shown = helpers.downsample_ohlcv(enriched, 600)
        title = f"{symbol} {period} {interval}" + (f" with {', '.join(names)}" if names else "")
        figure = helpers.price_figure(shown, title)
        sink = self.on_figure
        if sink is not None:
            sink(figure, title)
        last = float(frame["Close"].iloc[-1])
        where = "Chart shown to the user" if sink is not None else "Chart built (no chat to show it in)"
        return (f"{where}: {title}, candlestick with volume, {len(frame)} bars"
                + (f" shown as {len(shown)}" if len(shown) < len(frame) else "") + f"; last close {last:,.2f}.")


@carries(*DATA_HELPERS, compare_closes, performance_figure)
class PerformanceChartTool(Tool):
    name = "performance_chart"
    description = ("Show the user an interactive chart of several tickers' performance over a window, each rebased "
                   "to 100 at the start. Returns a one-line confirmation with each ticker's return.")
    inputs = {
        "symbols": {"type": "string", "description": "Comma-separated tickers, 2-20, e.g. 'AAPL,MSFT,NVDA'."},
        "period": {"type": "string", "description": "1mo 3mo 6mo 1y 2y 5y 10y ytd max. Default 1y.", "nullable": True},
    }
    output_type = "string"

    def __init__(self, data_client=None, on_figure=None):
        super().__init__()
        self.data_client = data_client
        self.on_figure = on_figure

    def forward(self, symbols: str, period: str | None = None) -> str:
        from concurrent.futures import ThreadPoolExecutor

        helpers = type(self)
        period = period or "1y"
        wanted = list(dict.fromkeys([s.strip().upper() for s in str(symbols).replace(" ", ",").split(",") if s.strip()]))
        if not 2 <= len(wanted) <= 20:
            return "Error: give between 2 and 20 different tickers, comma-separated."

        with ThreadPoolExecutor(max_workers=min(8, len(wanted))) as pool:
            results = list(pool.map(helpers.close_of, [helpers] * len(wanted), [self.data_client] * len(wanted),
                                    wanted, [period] * len(wanted)))
        closes = {s: c for s, c, _ in results if c is not None}
        failed = [f"{s}: {e}" for s, c, e in results if c is None]
        if not closes:
            return "Error: no ticker could be fetched. " + " ".join(failed)
        stats, _, table = helpers.compare_closes(closes)
        title = f"Performance over {period}, rebased to 100: {', '.join(table.columns)}"
        figure = helpers.performance_figure(table, title)
        sink = self.on_figure
        if sink is not None:
            sink(figure, title)
        returns = ", ".join([f"{s} {r:+.1f}%" for s, r in stats["return_pct"].items() if r == r])
        where = "Chart shown to the user" if sink is not None else "Chart built (no chat to show it in)"
        text = f"{where}: {title}. Returns: {returns}."
        return text + (" Not fetched: " + "; ".join(failed) if failed else "")
