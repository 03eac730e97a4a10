"""`/backtest`: run a strategy-lab backtest straight from the chat, no model involved.

    /backtest AAPL sma_cross fast=20 slow=50 5y
    /backtest MSFT rsi low=30 high=70 sl=0.05 long_short
    /backtest TSLA bollinger 60d 1h
    /backtest table            (the specs tried in this workspace)
    /backtest trades [N]       (the trades of backtest N, default the latest)
"""

from __future__ import annotations

import re

from backtest.charts import equity_chart
from backtest.lab import lab_for
from backtest.report import entry_markdown, trades_markdown
from backtest.spec import DIRECTIONS, PRESETS, SpecError
from backtest.validation import evaluate
from chat.commands import Command, CommandContext, CommandError
from chat.messages import ChatItem, chart, text
from core.symbols import valid_symbol

USAGE = "/backtest SYMBOL STRATEGY [param=value ...] [PERIOD] [INTERVAL]  |  /backtest table  |  /backtest trades [N]"
SUMMARY = ("Backtest a strategy (" + ", ".join(p for p in PRESETS if p != "custom") +
           ") with in/out-of-sample figures and an equity chart.")
_PERIOD = re.compile(r"^(\d+(d|wk|mo|y)|max|ytd)$")
_INTERVAL = re.compile(r"^\d+(m|h)$")
# words a person may type for spec-level settings
_SPEC_KEYS = {"sl": "stop_loss", "stop": "stop_loss", "stop_loss": "stop_loss", "tp": "take_profit",
              "take_profit": "take_profit", "size": "position_size", "position_size": "position_size",
              "commission": "commission", "slippage": "slippage", "direction": "direction"}


def parse_args(args: list[str]) -> tuple[str, dict, str, str]:
    """Words after /backtest -> (symbol, spec dict, period, interval). Raises CommandError on misuse."""
    if len(args) < 2:
        raise CommandError("Give a symbol and a strategy. Strategies: "
                           + ", ".join(p for p in PRESETS if p != "custom"))
    symbol, strategy = valid_symbol(args[0], CommandError), args[1].lower()
    if strategy not in PRESETS or strategy == "custom":
        raise CommandError(f"Unknown strategy {args[1]!r}. Use one of: "
                           + ", ".join(p for p in PRESETS if p != "custom") + ".")
    spec: dict = {"strategy": strategy, "params": {}}
    period, interval = "5y", "1d"
    for word in args[2:]:
        lowered = word.lower()
        if "=" in word:
            key, _, value = lowered.partition("=")
            if not value:
                raise CommandError(f"{word!r} has no value; write it like fast=20.")
            if key == "period":
                period = value
            elif key == "interval":
                interval = value
            elif key in _SPEC_KEYS:
                spec[_SPEC_KEYS[key]] = value
            else:
                spec["params"][key] = value
        elif lowered in DIRECTIONS or lowered.replace("-", "_") in DIRECTIONS:
            spec["direction"] = lowered.replace("-", "_")
        elif _PERIOD.match(lowered):
            period = lowered
        elif _INTERVAL.match(lowered):
            interval = lowered
        else:
            raise CommandError(f"I don't understand {word!r}: use param=value, a period like 5y, or an interval "
                               f"like 1h.")
    return symbol, spec, period, interval


def _backtest(ctx: CommandContext, args: list[str]):
    lab = lab_for(ctx.session, ctx.runtime.workspaces.store)  # the workspace's lab, kept in its database
    if args and args[0].lower() in ("table", "list"):
        return text(lab.table(), title="Strategies tried")
    if args and args[0].lower() == "trades":
        number = None
        if len(args) > 1:
            if not args[1].isdigit():
                raise CommandError(f"{args[1]!r} is not a backtest number.")
            number = int(args[1])
        entry = lab.get(number)
        if entry is None:
            return text("No such backtest yet; `/backtest table` lists them.", kind="error")
        return text(f"**Trades of backtest #{entry.number}** ({entry.symbol}, {entry.label})\n\n"
                    + trades_markdown(entry.trades))
    symbol, spec, period, interval = parse_args(args)
    prices = ctx.runtime.market.history(symbol, period=period, interval=interval)
    try:
        report = evaluate(prices, spec)
    except SpecError as exc:
        raise CommandError(str(exc)) from None
    entry = lab.record(symbol, period, interval, report)
    title = f"#{entry.number} {symbol} {period} {interval} — {report.spec.label()}"
    from market.client import origin

    summary = text(entry_markdown(entry) + f"\n\nPrices: {origin(prices)}.")
    items: list[ChatItem] = [summary, chart(equity_chart(report.full, title, report.split_time),
                                                                title=title)]
    return items


def commands() -> list[Command]:
    return [Command("backtest", USAGE, SUMMARY, _backtest)]
