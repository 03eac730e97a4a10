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
    if order.status == "filled":
        return (f"✅ **Filled**: {order.side} {format_qty(order.filled_qty)} {order.symbol} at "
                f"{money(order.filled_avg_price)} (order `{order.id[:8]}`).")
    return f"📨 **Order {order.status}**: {order.describe()}"


def _pct(part: float, whole: float) -> str:
    return f"{part / whole * 100:+.1f}%" if whole else "—"


def ticket_markdown(ticket: Ticket, mode: str, now: datetime) -> str:
    o, r = ticket.order, ticket.risk
    head = {PENDING: "awaiting your confirmation", EXECUTED: "executed", REJECTED: "rejected",
            EXPIRED: "expired", REFUSED: "refused", FAILED: "failed", EXECUTING: "executing"}[ticket.status]
    qty = f"{format_qty(o.qty)}" if o.qty is not None else f"≈{r.est_qty:.4f} (${o.notional:,.2f})"
    prices = []
    if o.limit_price is not None:
        prices.append(f"limit {money(o.limit_price)}")
    if o.stop_price is not None:
        prices.append(f"stop {money(o.stop_price)}")
    if o.is_bracket:
        prices.append(f"take-profit {money(o.take_profit)} / stop-loss {money(o.stop_loss)}")
    prices = prices or [o.type.replace("_", "-")]
    if r.last_price > 0:  # where it is judged: the market price, and whether it trades at once at about that
        prices.append(f"last {money(r.last_price)}")
        if r.fills_at_market and o.type != "market":
            prices.append("fills at market")
    minutes = max(0, int((ticket.expires_at - now).total_seconds() // 60))
    lines = [
        f"### 🧾 Order ticket {ticket.id} — {head}",
        "",
        "| | |",
        "|---|---|",
        f"| side | **{o.side.upper()}** |",
        f"| qty | {qty} |",
        f"| symbol | **{o.symbol}** |",
        f"| type | {o.type.replace('_', '-')}{' (bracket)' if o.is_bracket else ''}, {o.time_in_force} |",
        f"| prices | {' · '.join(prices)} |",
        f"| est. cost | {money(r.est_cost)} at {money(r.est_price)} a share ({r.pct_of_equity:.1f}% of equity) |",
        f"| account | {mode} |",
        f"| expires | {ticket.expires_at.strftime('%H:%M:%S %Z')} (in {minutes} min) |",
        f"| client order id | `{o.client_order_id}` |",
        "",
        "**Risk checks**",
        risk_lines(r),
        "",
    ]
    if ticket.status == PENDING:
        if not r.passed:
            lines.append("⚠️ Some checks fail: confirming will be refused unless they pass at that moment.\n")
        lines.append(f"Confirm with `/confirm {ticket.id}` or the Confirm button; reject with `/reject {ticket.id}`.")
    return "\n".join(lines)
