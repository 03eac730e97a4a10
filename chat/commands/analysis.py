"""Analysis slash commands (issue 17), answered by code with no model: /forecast, /news (extended), /size.

`/news` keeps the market module's headline list and adds, below it, each
headline's measured price reaction and a chart with headline markers.
"""

from __future__ import annotations

from chat.commands import Command, CommandContext, CommandError
from chat.commands.market import _market
from chat.messages import chart, text
from core.errors import UserError

FORECAST_USAGE = "/forecast SYMBOL [HORIZON] [daily|weekly]"


def _forecast(ctx: CommandContext, args: list[str]):
    from forecast import forecast_price
    from forecast.chart import fan_figure

    if not args or len(args) > 3:
        raise CommandError("Give a ticker, then optionally a horizon in bars (1-60) and daily or weekly, "
                           "for example `/forecast AAPL 10 daily`.")
    horizon, interval = "5", "daily"
    for word in args[1:]:
        if word.lstrip("+-").isdigit():
            horizon = word
        else:
            interval = word
    try:
        result = forecast_price(_market(ctx), args[0], horizon, interval)
    except UserError as exc:
        raise CommandError(exc.user_message) from None
    return [text(result.summary.replace("\n", "\n\n")),
            chart(fan_figure(result), title=f"{result.symbol} {result.horizon}-bar {result.interval} forecast")]


def _news_with_reactions(ctx: CommandContext, args: list[str]):
    from chat.commands import market as market_commands
    from market.headline_tone import tone_reader
    from market.news_reaction import news_reactions, reaction_figure

    listing = next(c for c in market_commands.commands() if c.name == "news")
    items = listing.handler(ctx, args)
    items = [items] if not isinstance(items, list) else items
    try:
        reaction = news_reactions(_market(ctx), args[0], 8)
    except UserError as exc:
        return items + [text(f"Price reactions could not be measured: {exc.user_message}")]
    if not reaction.rows:
        return items
    parts = [f"**Measured price reaction** ({reaction.symbol} vs {reaction.benchmark})\n\n" + reaction.markdown()]
    reader = tone_reader(getattr(ctx.settings, "sentiment_model", ""))
    tones, why_not = reader.read([r.title for r in reaction.rows]) if reader.model else (None, "")
    if tones is not None:
        parts.append(f"Tone by the classifier {reader.model} (its reading, not a measurement): "
                     + "; ".join(f"{i + 1}. {t}" for i, t in enumerate(tones)))
    elif reader.model:
        parts.append(f"No classifier tone: {why_not}.")
    figure = chart(reaction_figure(reaction), title=f"{reaction.symbol} headlines and price")
    return items + [text("\n\n".join(parts)), figure]


SIZE_USAGE = "/size SYMBOL RISK% [stop PRICE | atr K]"


def _size(ctx: CommandContext, args: list[str]):
    from tools.analysis import PositionSizeTool

    words = [w.lower() for w in args]
    if len(words) not in (2, 4) or (len(words) == 4 and words[2] not in ("stop", "atr")):
        raise CommandError("Give a ticker, the percent of equity to risk, and a stop price or an ATR multiple, "
                           "for example `/size AAPL 1% stop 180` or `/size AAPL 1% atr 2`.")
    risk = words[1].rstrip("%")
    stop = words[3] if len(words) == 4 and words[2] == "stop" else None
    atr_k = words[3] if len(words) == 4 and words[2] == "atr" else None
    if len(words) == 2:
        atr_k = "2"  # the common default: a stop two average true ranges below the entry
    try:
        numbers = [None if v is None else float(v) for v in (risk, stop, atr_k)]
    except ValueError:
        raise CommandError(f"{' '.join(args[1:])!r} has a value that is not a number.") from None
    tool = PositionSizeTool(data_client=_market(ctx), desk=ctx.desk)
    try:
        result = tool.forward(args[0], *numbers)
    except UserError as exc:
        raise CommandError(exc.user_message) from None
    note = ("\n\nNo stop given: the stop is 2 × ATR(14) below the entry." if len(words) == 2 else "")
    return text(f"**Position size** (fixed-fractional, long)\n\n{result['summary']}{note}\n\n"
                f"Source: {result['source']}. This is arithmetic, not advice.")


def commands() -> list[Command]:
    return [
        Command("news", "/news SYMBOL",
                "Latest headlines about a ticker, with the measured price reaction to each (vs SPY).",
                _news_with_reactions),
        Command("size", SIZE_USAGE, "Shares to buy for a given % of equity at risk to a stop (price or K × ATR), "
                                    "capped by the risk limits, with the arithmetic.", _size),
        Command("forecast", FORECAST_USAGE,
                "Price forecast with 80%/95% intervals, judged first against 'tomorrow = today' on 40 windows.",
                _forecast),
    ]
