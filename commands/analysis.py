"""Analysis slash commands (issue 17), answered by code with no model: /forecast."""

from __future__ import annotations

from agents.messages import chart, text
from commands import Command, CommandContext, CommandError
from core.errors import UserError

FORECAST_USAGE = "/forecast SYMBOL [HORIZON] [daily|weekly]"


def _market(ctx: CommandContext):
    market = getattr(ctx.services, "market", None)
    if market is None:
        raise CommandError("Market data is not available in this app.")
    return market


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


def commands() -> list[Command]:
    return [
        Command("forecast", FORECAST_USAGE,
                "Price forecast with 80%/95% intervals, judged first against 'tomorrow = today' on 40 windows.",
                _forecast),
    ]
