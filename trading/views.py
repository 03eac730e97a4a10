"""Markdown renderings of broker data, shared by the trader's tools, slash commands and the UI."""

from __future__ import annotations

from datetime import datetime

from trading.broker import Account, Asset, Clock, Order, Position, format_qty
from trading.risk import RiskReport
from trading.tickets import EXECUTED, EXECUTING, EXPIRED, FAILED, PENDING, REFUSED, REJECTED, Ticket


def money(value: float | None) -> str:
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def account_text(account: Account, mode: str) -> str:
    return (f"**Account** ({mode})\n\n| cash | equity | buying power |\n|---|---|---|\n"
            f"| {money(account.cash)} | {money(account.equity)} | {money(account.buying_power)} |")


def positions_text(positions: list[Position], realized_total: float | None = None) -> str:
    if not positions:
        text = "No open positions."
    else:
        rows = "\n".join(
            f"| {p.symbol} | {format_qty(p.qty)} | {money(p.avg_cost)} | {money(p.current_price)} "
            f"| {money(p.market_value)} | {money(p.unrealized_pl)} ({_pct(p.unrealized_pl, p.avg_cost * p.qty)}) | "
            f"{money(p.realized_pl) if p.realized_pl is not None else '—'} |"
            for p in positions
        )
        text = ("| symbol | qty | avg cost | price | value | unrealized P&L | realized P&L |\n"
                "|---|---|---|---|---|---|---|\n" + rows)
    if realized_total is not None:
        text += f"\n\nRealized P&L (all closed trades): {money(realized_total)}"
    return text


def orders_text(open_orders: list[Order], recent: list[Order]) -> str:
    lines = ["**Open orders**"]
    lines += [f"- {o.describe()}" for o in open_orders] or ["- none"]
    closed = [o for o in recent if not o.is_open]
    lines.append("\n**Recent orders**")
    lines += [f"- {o.describe()}" for o in closed[:10]] or ["- none"]
    return "\n".join(lines)


def asset_text(asset: Asset) -> str:
    yes = {True: "yes", False: "no"}
    return (f"**{asset.symbol}** ({asset.name}{', ' + asset.exchange if asset.exchange else ''}): "
            f"tradable {yes[asset.tradable]}, fractionable {yes[asset.fractionable]}, "
            f"shortable {yes[asset.shortable]}")


def clock_text(clock: Clock) -> str:
    def when(value):
        return value.strftime("%a %Y-%m-%d %H:%M %Z") if value else "unknown"

    state = "OPEN" if clock.is_open else "CLOSED"
    return f"The US stock market is **{state}** (as of {when(clock.timestamp)}); next open {when(clock.next_open)}, " \
           f"next close {when(clock.next_close)}."


def risk_lines(report: RiskReport) -> str:
    return "\n".join(f"- {'✅' if c.passed else '❌'} **{c.name}**: {c.detail}" for c in report.checks)


def order_result_text(order: Order) -> str:
    """What happened at the broker, in plain words: filled, or placed and working (and until when)."""
    if order.status == "filled":
        return (f"✅ **Filled at {money(order.filled_avg_price)}**: {order.side} {format_qty(order.filled_qty)} "
                f"{order.symbol} (order `{order.id[:8]}`).")
    if order.status in ("canceled", "cancelled", "expired", "rejected"):
        return f"**Order {order.status}**: {order.describe()}"
    words = placed_words(order.side, order.qty, order.symbol, order.type, order.limit_price, order.stop_price,
                         order.time_in_force, order.filled_qty, order.filled_avg_price)
    return f"📨 **Order placed**: {words}"


def placed_words(side: str, qty, symbol: str, order_type: str, limit_price, stop_price, time_in_force: str,
                 filled_qty=None, filled_avg_price=None) -> str:
    """"limit buy 1 AAPL at $100.00, working until filled or cancelled" (what a resting order does)."""
    kind = order_type.replace("_", "-")
    at = ""
    if limit_price is not None:
        at = f" at {money(limit_price)}"
    if stop_price is not None:
        at = f" (stop {money(stop_price)}){at}"
    until = {"day": "until filled or the day's close", "gtc": "until filled or cancelled",
             "ioc": "now, the rest is cancelled", "fok": "now in full or not at all",
             "opg": "at the opening auction", "cls": "at the closing auction"}.get(time_in_force, "until filled")
    part = (f"; {format_qty(filled_qty)} filled at {money(filled_avg_price)} so far"
            if filled_qty and filled_avg_price else "")
    return f"{kind} {side} {format_qty(qty)} {symbol}{at}, working {until}{part}."


def _pct(part: float, whole: float) -> str:
    return f"{part / whole * 100:+.1f}%" if whole else "—"


def _time(moment: datetime) -> str:
    """A time the browser shows in the person's zone (UTC on hover); UTC as written here."""
    return f'<time datetime="{moment.isoformat()}" data-format="time">{moment.strftime("%H:%M UTC")}</time>'


def fill_price(ticket: Ticket, last_price: float | None) -> float | None:
    """The price the order would fill at now: the market for a market order or a marketable limit, else its limit
    (a resting order fills at its limit or better)."""
    o = ticket.order
    if last_price is None or last_price <= 0:
        return ticket.risk.est_price or None
    if o.type in ("limit", "stop_limit") and o.limit_price is not None:
        return min(o.limit_price, last_price) if o.side == "buy" else max(o.limit_price, last_price)
    if o.type == "stop" and o.stop_price is not None:
        return max(o.stop_price, last_price) if o.side == "buy" else min(o.stop_price, last_price)
    return last_price


def ticket_heading(ticket: Ticket) -> str:
    o = ticket.order
    amount = format_qty(o.qty) if o.qty is not None else f"${o.notional:,.2f} of"
    prices = "market" if o.type == "market" else ""
    if o.stop_price is not None:
        prices += f"stop {money(o.stop_price)}"
    if o.limit_price is not None:
        prices += f"{' ' if prices else ''}limit {money(o.limit_price)}"
    return f"{o.side.capitalize()} {amount} {o.symbol} · {prices}{' (bracket)' if o.is_bracket else ''}"


def ticket_outcome(ticket: Ticket) -> str:
    """What happened to a decided ticket, in plain words (empty while it is pending)."""
    o = ticket.order
    if ticket.status == EXECUTED and ticket.result is not None:
        r = ticket.result
        if r.status == "filled":
            return f"✅ **Filled at {money(r.filled_avg_price)}** ({format_qty(r.filled_qty)} {o.symbol})."
        if r.status in ("canceled", "cancelled", "expired", "rejected"):
            return f"**Order {r.status}** at the broker."
        return "📨 **Order placed**: " + placed_words(o.side, o.qty if o.qty is not None else r.qty, o.symbol,
                                                      o.type, o.limit_price, o.stop_price, o.time_in_force,
                                                      r.filled_qty, r.filled_avg_price)
    return {EXECUTED: "📨 **Order placed.**", REJECTED: "✖ **Rejected**: nothing was sent to the broker.",
            EXPIRED: "⌛ **Expired**: not confirmed in time; nothing was sent.",
            REFUSED: f"⛔ **Refused** at confirmation: {ticket.error or 'a risk check failed'}. Nothing was sent.",
            FAILED: f"⚠️ **Failed** at the broker: {ticket.error or 'refused'}.",
            EXECUTING: "⏳ **Being placed** right now."}.get(ticket.status, "")


def ticket_markdown(ticket: Ticket, mode: str, now: datetime, last_price: float | None = None) -> str:
    """The ticket card: the key figures first (side, qty, symbol, limit, the last price, the estimated cost at the
    price it would fill, % of equity), what happened once decided, then the risk checks, folded.

    `last_price` is the market's last price when the caller has it (the desk's quote); a risk report that carries
    its own `last_price` wins."""
    o, r = ticket.order, ticket.risk
    last = getattr(r, "last_price", None) or last_price
    fills_at = fill_price(ticket, last)
    qty = o.qty if o.qty is not None else (o.notional / fills_at if fills_at else r.est_qty)
    cost = o.notional if o.notional is not None else (qty * fills_at if fills_at else r.est_cost)
    equity = r.est_cost / (r.pct_of_equity / 100) if r.pct_of_equity and r.pct_of_equity != float("inf") else None
    pct = f", {cost / equity * 100:.1f}% of equity" if equity else ""
    figures = [f"**Last price {money(last)}**" if last else "**Last price** unavailable",
               f"**Est. cost {money(cost)}**{pct}"]
    if getattr(r, "fills_at_market", False) and o.type != "market":  # a marketable limit: it trades at the market
        figures.insert(1, "fills at market")
    if o.notional is not None:
        figures.insert(0, f"≈ {qty:.4f} shares")
    if o.is_bracket:
        figures.append(f"take-profit {money(o.take_profit)} / stop-loss {money(o.stop_loss)}")
    lines = [f"## 🧾 {ticket_heading(ticket)} · Order ticket {ticket.id}", "", " · ".join(figures)]
    marketable = last and fills_at and o.type in ("limit", "stop_limit") and o.limit_price is not None
    resting = marketable and (o.limit_price < last if o.side == "buy" else o.limit_price > last)
    if ticket.status == PENDING and resting:
        lines.append(f"\nThe limit is {'below' if o.side == 'buy' else 'above'} the last price: the order "
                     f"would rest until the price reaches {money(o.limit_price)}.")
    outcome = ticket_outcome(ticket)
    if outcome:
        lines += ["", outcome]
    else:
        if not r.passed:
            lines.append("\n⚠️ Some risk checks fail: confirming is refused unless they pass at that moment.")
        lines.append(f"\n<sub>{mode} · {o.time_in_force} · expires {_time(ticket.expires_at)} · "
                     f"`/confirm {ticket.id}` or `/reject {ticket.id}`</sub>")
    passed = sum(c.passed for c in r.checks)
    lines += ["", f"<details><summary>Risk checks: {passed} of {len(r.checks)} passed</summary>\n",
              risk_lines(r), "", f"Client order id `{o.client_order_id}`.", "</details>"]
    return "\n".join(lines)
