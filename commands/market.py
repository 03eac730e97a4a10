"""Market slash commands, answered by code with no LLM: /quote, /chart, /compare, /news, /fundamentals.

Text answers reuse the market tools (bound to the shared cached client), so
the person sees exactly what the trader agent would; charts come back as
`agents.messages.chart` items (plotly figures).
"""

from __future__ import annotations

from agents.messages import chart, text
from commands import Command, CommandContext, CommandError
from market.client import PERIODS, normalize_symbol
from market.errors import MarketDataError

CHART_USAGE_HINT = "indicators: smaN emaN bollinger rsi macd (e.g. sma50 rsi)"


def _market(ctx: CommandContext):
    market = getattr(ctx.services, "market", None)
    if market is None:
        raise CommandError("Market data is not available in this app.")
    return market


def _symbol(word: str) -> str:
    try:
        return normalize_symbol(word)
    except MarketDataError as exc:
        raise CommandError(exc.user_message) from None


def _tool_text(output: str) -> str:
    """A tool's answer as chat markdown; tool errors become a clear error (shown by the dispatcher)."""
    if output.startswith("Error: "):
        raise CommandError(output.removeprefix("Error: "))
    return output


def _as_markdown_block(output: str) -> str:
    return "```text\n" + output + "\n```"


def _quote(ctx: CommandContext, args: list[str]):
    from tools.market import StockQuoteTool

    if not args:
        raise CommandError("Which ticker? For example `/quote AAPL` (several: `/quote AAPL MSFT`).")
    tool = StockQuoteTool(data_client=_market(ctx))
    parts = [_tool_text(tool.forward(_symbol(word))) for word in args[:5]]
    return text("\n\n".join(_as_markdown_block(p) for p in parts))


def _fundamentals(ctx: CommandContext, args: list[str]):
    from tools.market import CompanyProfileTool

    if len(args) != 1:
        raise CommandError("Give one ticker, for example `/fundamentals AAPL`.")
    return text(_as_markdown_block(_tool_text(CompanyProfileTool(data_client=_market(ctx)).forward(_symbol(args[0])))))


def _news(ctx: CommandContext, args: list[str]):
    if len(args) != 1:
        raise CommandError("Give one ticker, for example `/news AAPL`.")
    symbol = _symbol(args[0])
    items = _market(ctx).news(symbol, 8)
    if not items:
        return text(f"No recent news found for {symbol} on Yahoo Finance.")
    rows = []
    for item in items:
        when = item["time"].strftime("%Y-%m-%d %H:%M UTC") if item["time"] else "time unknown"
        title = " ".join(item["title"].replace("[", "(").replace("]", ")").split())[:200]
        link = item["link"] if item["link"].startswith("https://") else ""
        rows.append(f"- {when}, {item['publisher'][:60]}: " + (f"[{title}]({link})" if link else title))
    # Same data as the stock_news tool; the person gets clickable links instead of the model's tagged block.
    return text(f"**News for {symbol}** (Yahoo Finance; third-party headlines, unverified)\n\n" + "\n".join(rows))


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
    from market.charts import price_chart

    words, period = _split_period(args, "1y")
    if not words:
        raise CommandError(f"Which ticker? For example `/chart AAPL 6mo sma50 rsi` ({CHART_USAGE_HINT}).")
    symbol = _symbol(words[0])
    indicators = [w.lower() for w in words[1:]] or ["sma50"]
    frame = _market(ctx).history(symbol, period=period)
    try:
        figure = price_chart(frame, symbol, period, indicators)
    except ValueError as exc:
        raise CommandError(f"{exc} ({CHART_USAGE_HINT})") from None
    title = f"{symbol} {period}: " + ", ".join(indicators)
    return chart(figure, title=title)


def _compare(ctx: CommandContext, args: list[str]):
    from market.charts import performance_chart

    words, period = _split_period(args, "1y")
    symbols = [_symbol(w) for w in words]
    if not 2 <= len(set(symbols)) <= 20:
        raise CommandError("Give 2 to 20 tickers, for example `/compare AAPL MSFT NVDA 1y`.")
    comparison = _market(ctx).compare(symbols, period)
    stats = comparison.stats

    def pct(value: float, signed: bool = True) -> str:
        return "n/a" if value != value else (f"{value:+.1f}%" if signed else f"{value:.1f}%")

    rows = "\n".join(f"| {s} | {r['start']} | {r['end']} | {pct(r['return_pct'])} | {pct(r['volatility_pct'], False)} | "
                     f"{pct(r['max_drawdown_pct'])} |" for s, r in stats.iterrows())
    table = ("| ticker | from | to | return | volatility (ann.) | max drawdown |\n|---|---|---|---|---|---|\n" + rows)
    failed = "".join(f"\n\n{s}: {m}" for s, m in comparison.failures.items())
    items = [text(f"**Comparison over {period}** (daily closes adjusted for splits and dividends; Yahoo Finance)\n\n"
                  + table + failed)]
    items.append(chart(performance_chart(comparison.closes, period), title=f"{', '.join(stats.index)} over {period}"))
    return items


def commands() -> list[Command]:
    return [
        Command("quote", "/quote SYMBOL [SYMBOL...]", "Latest price, change, range, volume, market cap.", _quote),
        Command("chart", "/chart SYMBOL [period] [indicators...]",
                f"Interactive candlestick chart; period e.g. 6mo 1y 5y; {CHART_USAGE_HINT}.", _chart),
        Command("compare", "/compare A B C [period]", "Returns, volatility, drawdown and a rebased chart.", _compare),
        Command("news", "/news SYMBOL", "Latest headlines about a ticker.", _news),
        Command("fundamentals", "/fundamentals SYMBOL", "Sector, valuation, margins, analyst targets.", _fundamentals),
    ]
