"""Market slash commands, answered by code with no LLM: /quote, /chart, /compare, /news, /fundamentals.

They call the shared cached `MarketData` client and render with the same
formatters (market.formatting) and chart pipeline (market.charts) as the
trader's tools, so the person sees exactly what the agent would; charts come
back as `chat.messages.chart` items (plotly figures).
"""

from __future__ import annotations

from chat.commands import Command, CommandContext, CommandError
from chat.messages import chart, text
from market.charts import performance_chart, price_chart
from market.client import PERIODS, normalize_symbol, source_of
from market.errors import MarketDataError
from market.formatting import comparison_markdown, news_markdown, profile_text, quote_text

CHART_USAGE_HINT = "indicators: smaN emaN bollinger rsi macd (e.g. sma50 rsi)"


def _market(ctx: CommandContext):
    market = ctx.runtime.market
    if market is None:
        raise CommandError("Market data is not available in this app.")
    return market


def _symbol(word: str) -> str:
    try:
        return normalize_symbol(word)
    except MarketDataError as exc:
        raise CommandError(exc.user_message) from None


def _as_markdown_block(output: str) -> str:
    return "```text\n" + output + "\n```"


def _quote(ctx: CommandContext, args: list[str]):
    if not args:
        raise CommandError("Which ticker? For example `/quote AAPL` (several: `/quote AAPL MSFT`).")
    market = _market(ctx)
    parts = [quote_text(market.quote(_symbol(word))) for word in args[:5]]
    return text("\n\n".join(_as_markdown_block(p) for p in parts))


def _fundamentals(ctx: CommandContext, args: list[str]):
    if len(args) != 1:
        raise CommandError("Give one ticker, for example `/fundamentals AAPL`.")
    return text(_as_markdown_block(profile_text(_market(ctx).profile(_symbol(args[0])))))


def _news(ctx: CommandContext, args: list[str]):
    if len(args) != 1:
        raise CommandError("Give one ticker, for example `/news AAPL`.")
    symbol = _symbol(args[0])
    # Same data as the stock_news tool; the person gets clickable links instead of the model's tagged block.
    return text(news_markdown(symbol, _market(ctx).news(symbol, 8)))


def _split_period(args: list[str], default: str) -> tuple[list[str], str]:
    period = default
    rest = []
    for word in args:
        if word.lower() in PERIODS:
            period = word.lower()
        else:
            rest.append(word)
    return rest, period


def _chart(ctx: CommandContext, args: list[str]):
    words, period = _split_period(args, "1y")
    if not words:
        raise CommandError(f"Which ticker? For example `/chart AAPL 6mo sma50 rsi` ({CHART_USAGE_HINT}).")
    symbol = _symbol(words[0])
    indicators = [w.lower() for w in words[1:]] or ["sma50"]
    frame = _market(ctx).history(symbol, period=period)
    try:
        figure = price_chart(frame, symbol, period, indicators)
    except MarketDataError as exc:
        raise CommandError(f"{exc.user_message} ({CHART_USAGE_HINT})") from None
    title = f"{symbol} {period}: " + ", ".join(indicators) + f" · {source_of(frame)}"
    return chart(figure, title=title)


def _compare(ctx: CommandContext, args: list[str]):
    words, period = _split_period(args, "1y")
    symbols = [_symbol(w) for w in words]
    if not 2 <= len(set(symbols)) <= 20:
        raise CommandError("Give 2 to 20 tickers, for example `/compare AAPL MSFT NVDA 1y`.")
    comparison = _market(ctx).compare(symbols, period)
    figure = performance_chart(comparison.closes, period)
    return [text(comparison_markdown(comparison)),
            chart(figure, title=f"{', '.join(comparison.stats.index)} over {period}")]


def commands() -> list[Command]:
    return [
        Command("quote", "/quote SYMBOL [SYMBOL...]", "Latest price, change, range, volume, market cap.", _quote),
        Command("chart", "/chart SYMBOL [period] [indicators...]",
                f"Interactive candlestick chart; period e.g. 6mo 1y 5y; {CHART_USAGE_HINT}.", _chart),
        Command("compare", "/compare A B C [period]", "Returns, volatility, drawdown and a rebased chart.", _compare),
        Command("news", "/news SYMBOL", "Latest headlines about a ticker.", _news),
        Command("fundamentals", "/fundamentals SYMBOL", "Sector, valuation, margins, analyst targets.", _fundamentals),
    ]
