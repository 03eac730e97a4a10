"""The trader agent's trading tools: read the account and propose orders. None of them places an order.

Why the tools hold bound methods and not the desk: the CodeAgent's Python
sandbox can read any non-dunder attribute of a tool object. If a tool kept
`self.desk`, model-written code (or an injected instruction it obeys) could
reach `desk.confirm(...)`. A bound method's `__self__` is a dunder, which the
sandbox refuses, so the desk's confirm path stays out of reach.
"""

from __future__ import annotations

from collections.abc import Callable

from smolagents import Tool

from core.errors import UserError
from trading.desk import TradingDesk


def _safely(fn: Callable[[], str]) -> str:
    """Broker and input problems become a sentence the model can act on, not a crash."""
    try:
        return fn()
    except UserError as exc:
        return f"Error: {exc.user_message}"


class AccountTool(Tool):
    name = "get_account"
    description = "Cash, equity, buying power, and which account is in use (paper or live)."
    inputs = {}
    output_type = "string"

    def __init__(self, desk: TradingDesk):
        self._read = desk.account_text
        super().__init__()

    def forward(self) -> str:
        return _safely(self._read)


class PositionsTool(Tool):
    name = "get_positions"
    description = "Open positions: qty, average cost, price, market value, unrealized and realized P&L."
    inputs = {}
    output_type = "string"

    def __init__(self, desk: TradingDesk):
        self._read = desk.positions_text
        super().__init__()

    def forward(self) -> str:
        return _safely(self._read)


class OrdersTool(Tool):
    name = "get_orders"
    description = "Open orders and the latest closed ones."
    inputs = {}
    output_type = "string"

    def __init__(self, desk: TradingDesk):
        self._read = desk.orders_text
        super().__init__()

    def forward(self) -> str:
        return _safely(self._read)


class AssetCheckTool(Tool):
    name = "check_asset"
    description = "Whether a symbol is tradable, fractionable and shortable on this account."
    inputs = {"symbol": {"type": "string", "description": "Ticker, e.g. 'AAPL'."}}
    output_type = "string"

    def __init__(self, desk: TradingDesk):
        self._read = desk.asset_text
        super().__init__()

    def forward(self, symbol: str) -> str:
        return _safely(lambda: self._read(symbol))


class MarketClockTool(Tool):
    name = "market_clock"
    description = "Whether the US stock market is open now; the next open and close."
    inputs = {}
    output_type = "string"

    def __init__(self, desk: TradingDesk):
        self._read = desk.clock_text
        super().__init__()

    def forward(self) -> str:
        return _safely(self._read)


class ProposeOrderTool(Tool):
    name = "propose_order"
    description = (
        "Files an order ticket that the person confirms or rejects in the chat; it never places the order. "
        "Returns the ticket id and risk checks. qty or notional (market orders only); a bracket needs "
        "take_profit and stop_loss."
    )
    inputs = {
        "symbol": {"type": "string", "description": "Ticker, e.g. 'AAPL'."},
        "side": {"type": "string", "description": "buy or sell."},
        "qty": {"type": "number", "description": "Shares.", "nullable": True},
        "notional": {"type": "number", "description": "Dollars.", "nullable": True},
        "order_type": {"type": "string", "description": "market (default) limit stop stop_limit.",
                       "nullable": True},
        "limit_price": {"type": "number", "description": "limit, stop_limit.", "nullable": True},
        "stop_price": {"type": "number", "description": "stop, stop_limit trigger.", "nullable": True},
        "take_profit": {"type": "number", "description": "Bracket.", "nullable": True},
        "stop_loss": {"type": "number", "description": "Bracket.", "nullable": True},
        "time_in_force": {"type": "string", "description": "day (default) or gtc.", "nullable": True},
    }
    output_type = "string"

    def __init__(self, desk: TradingDesk, on_ticket: Callable | None = None):
        self._propose = desk.propose
        self._card = desk.ticket_card
        self.on_ticket = on_ticket  # set by the team builder: receives the TicketCard to show in the chat
        super().__init__()

    def forward(self, symbol: str, side: str, qty: float | None = None, notional: float | None = None,
                order_type: str | None = None, limit_price: float | None = None, stop_price: float | None = None,
                take_profit: float | None = None, stop_loss: float | None = None,
                time_in_force: str | None = None) -> str:
        try:
            ticket = self._propose(symbol, side, qty=qty, notional=notional, order_type=order_type or "market",
                                   limit_price=limit_price, stop_price=stop_price, take_profit=take_profit,
                                   stop_loss=stop_loss, time_in_force=time_in_force or "day")
        except UserError as exc:
            return f"Error: no ticket created: {exc.user_message}"
        if self.on_ticket is not None:
            self.on_ticket(self._card(ticket))
        verdict = ticket.risk.summary()
        return (f"Ticket {ticket.id} created ({ticket.order.describe()}, est. cost ${ticket.risk.est_cost:,.2f}), "
                f"awaiting the person's confirmation in the chat; it has NOT been executed. Risk checks: {verdict}.")


def trading_tools(desk: TradingDesk, on_ticket: Callable | None = None) -> list[Tool]:
    """The trader's trading tools for this session's desk. None of them places an order."""
    return [AccountTool(desk), PositionsTool(desk), OrdersTool(desk), AssetCheckTool(desk), MarketClockTool(desk),
            ProposeOrderTool(desk, on_ticket)]
