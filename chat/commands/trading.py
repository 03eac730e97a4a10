"""Slash commands for trading. `/buy` and `/sell` only create tickets; `/confirm` is the only way one executes.

The actor for every command is `ctx.session.user` (the signed-in person, or
None), checked inside the desk's confirm path.
"""

from __future__ import annotations

from chat.commands import Command, CommandContext, CommandError
from chat.messages import ChatItem
from chat.ticket_decisions import decide_ticket
from chat.trading_items import analytics_item, outcome_items, portfolio_items, ticket_item
from core.db import DatabaseError
from core.errors import UserError
from trading.desk import NoCurrentPrice, TradingInputError
from trading.portfolio_analytics import workspace_analytics

ORDER_USAGE = "QTY SYMBOL [limit P | stop P | stop P limit P] [tp P sl P] [notional] [gtc]"


def parse_order_words(side: str, args: list[str]) -> dict:
    """The words after /buy or /sell, as keyword arguments for `TradingDesk.propose`."""
    if len(args) < 2:
        raise CommandError(f"Say how many and what, e.g. `/{side} 10 AAPL` or `/{side} 10 AAPL limit 180`.")
    amount, symbol, rest = args[0], args[1], [w.lower() for w in args[2:]]
    notional = amount.startswith("$")
    fields: dict = {"symbol": symbol, "side": side}
    options: dict[str, str] = {}
    i = 0
    while i < len(rest):
        word = rest[i]
        if word in ("notional", "usd", "dollars"):
            notional = True
            i += 1
        elif word in ("gtc", "day"):
            fields["time_in_force"] = word
            i += 1
        elif word in ("limit", "stop", "tp", "sl", "take-profit", "stop-loss"):
            if i + 1 >= len(rest):
                raise CommandError(f"`{word}` needs a price after it.")
            key = {"take-profit": "tp", "stop-loss": "sl"}.get(word, word)
            if key in options:
                raise CommandError(f"`{word}` is given twice.")
            options[key] = rest[i + 1]
            i += 2
        else:
            raise CommandError(f"I don't understand `{word}`.")
    fields["notional" if notional else "qty"] = amount.lstrip("$")
    if "limit" in options and "stop" in options:
        fields["order_type"] = "stop_limit"
    elif "limit" in options:
        fields["order_type"] = "limit"
    elif "stop" in options:
        fields["order_type"] = "stop"
    else:
        fields["order_type"] = "market"
    fields["limit_price"] = options.get("limit")
    fields["stop_price"] = options.get("stop")
    fields["take_profit"] = options.get("tp")
    fields["stop_loss"] = options.get("sl")
    return fields


def _propose(side: str):
    def handler(ctx: CommandContext, args: list[str]):
        desk = ctx.desk
        try:
            ticket = desk.propose(**parse_order_words(side, args))
        except NoCurrentPrice as exc:  # the words were right: no usage line under it
            return [ChatItem(content=exc.user_message, kind="error")]
        except TradingInputError as exc:
            raise CommandError(exc.user_message) from None
        return [ticket_item(desk.ticket_card(ticket))]

    return handler


def _one_id(args: list[str], what: str) -> str:
    if len(args) != 1:
        raise CommandError(f"Give exactly one {what}.")
    return args[0]


def _confirm(ctx: CommandContext, args: list[str]):
    return decide_ticket(ctx.runtime, ctx.session, "confirm", _one_id(args, "ticket id"), ctx.session.user)


def _reject(ctx: CommandContext, args: list[str]):
    return decide_ticket(ctx.runtime, ctx.session, "reject", _one_id(args, "ticket id"), ctx.session.user)


def _cancel(ctx: CommandContext, args: list[str]):
    try:
        return outcome_items(ctx.desk.cancel(_one_id(args, "order id"), ctx.session.user))
    except UserError as exc:
        raise CommandError(exc.user_message) from None


def _orders(ctx: CommandContext, args: list[str]):
    desk = ctx.desk
    text = desk.orders_text()
    pending = desk.pending_tickets()
    if pending:
        text += "\n\n**Tickets awaiting your confirmation**\n" + "\n".join(
            f"- `{t.id}` {t.order.describe()}" for t in pending)
    return text


def _positions(ctx: CommandContext, args: list[str]):
    return ctx.desk.positions_text()


def _portfolio(ctx: CommandContext, args: list[str]):
    desk = ctx.desk
    return [*portfolio_items(desk.portfolio()), _analytics(ctx, desk)]


def _analytics(ctx: CommandContext, desk):
    """The workspace's performance and risk (as the side panel shows them), or why there are none yet."""
    store, workspace = ctx.runtime.workspaces.store, ctx.session.workspace
    if workspace is None:  # no lasting workspace: no equity history to compute from
        return analytics_item(None)
    try:
        return analytics_item(workspace_analytics(desk, store, workspace, ctx.runtime.market))
    except UserError as exc:
        return analytics_item(None, problem=exc.user_message)
    except DatabaseError:
        return analytics_item(None, problem="the workspace's equity history could not be read")


def _account(ctx: CommandContext, args: list[str]):
    return ctx.desk.account_text()


def commands() -> list[Command]:
    return [
        Command("buy", f"/buy {ORDER_USAGE}", "Propose a buy order as a ticket (nothing executes until /confirm).",
                _propose("buy")),
        Command("sell", f"/sell {ORDER_USAGE}", "Propose a sell order as a ticket (nothing executes until /confirm).",
                _propose("sell")),
        Command("confirm", "/confirm TICKET", "Execute a ticket after re-checking the risk limits.", _confirm),
        Command("reject", "/reject TICKET", "Discard a ticket; nothing is sent.", _reject),
        Command("orders", "/orders", "Open and recent orders, and tickets awaiting confirmation.", _orders),
        Command("cancel", "/cancel ORDER_ID", "Cancel an open order.", _cancel),
        Command("positions", "/positions", "Open positions with P&L.", _positions),
        Command("portfolio", "/portfolio", "Holdings, P&L, allocation and performance vs SPY as charts, then "
                "performance and risk from your equity history.", _portfolio),
        Command("account", "/account", "Cash, equity, buying power, and which account is in use.", _account),
    ]
