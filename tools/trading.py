"""The trader agent's trading tools: read the account and propose orders. None of them places an order.

Why the tools hold bound methods and not the desk: the CodeAgent's Python
sandbox can read any non-dunder attribute of a tool object. If a tool kept
`self.desk`, model-written code (or an injected instruction it obeys) could
reach `desk.confirm(...)`. A bound method's `__self__` (and a closure's
`__closure__`) is a dunder, which the sandbox refuses, so the desk's confirm
path stays out of reach.

Broker and input problems raise `core.errors.UserError` (smolagents reports the
message to the model). The account, positions and orders reads return structured
data (numbers as numbers, `as_of`, `source`, and the desk's markdown as `summary`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from smolagents import Tool

from core.errors import UserError
from tools.market_base import CompactTool, plain, schema
from trading import views
from trading.desk import TradingDesk

ORDER_FIELDS = ("id", "symbol", "side", "type", "status", "qty", "notional", "limit_price", "stop_price",
                "filled_qty", "filled_avg_price", "time_in_force", "created_at")


def _account(desk: TradingDesk) -> Callable[[], dict]:
    account, mode = desk.broker.account, desk.mode_label

    def read() -> dict:
        a = account()
        return {"mode": mode(), **asdict(a), "summary": views.account_text(a, mode())}

    return read


def _positions(desk: TradingDesk) -> Callable[[], dict]:
    positions, realized_pl = desk.broker.positions, getattr(desk.broker, "realized_pl", None)

    def read() -> dict:
        held, realized = positions(), realized_pl() if realized_pl is not None else None
        return {"positions": [asdict(p) for p in held], "realized_pl": realized,
                "summary": views.positions_text(held, realized)}

    return read


def _orders(desk: TradingDesk) -> Callable[[], dict]:
    orders = desk.broker.orders

    def read() -> dict:
        open_orders, recent = orders("open"), orders("all", limit=20)
        closed = [o for o in recent if not o.is_open][:10]
        return {"open": [{k: getattr(o, k) for k in ORDER_FIELDS} for o in open_orders],
                "closed": [{k: getattr(o, k) for k in ORDER_FIELDS} for o in closed],
                "summary": views.orders_text(open_orders, recent)}

    return read


class DeskReadTool(CompactTool):
    """A structured read of this session's desk; `reader(desk)` makes the read from the desk's bound methods."""

    inputs = {}
    output_type = "object"
    reader: Callable[[TradingDesk], Callable[[], dict]]

    def __init__(self, desk: TradingDesk):
        self._read = type(self).reader(desk)
        self._now, self._mode = desk.now, desk.mode_label
        super().__init__()

    def forward(self) -> dict:
        data = self._read()
        return plain({**data, "as_of": self._now(), "source": f"{self._mode()} account"})


class AccountTool(DeskReadTool):
    name = "get_account"
    description = "Cash, equity, buying power and the account in use (`mode`: paper or live)."
    output_schema = schema(mode="string", cash="number", equity="number", buying_power="number")
    reader = staticmethod(_account)


class PositionsTool(DeskReadTool):
    name = "get_positions"
    description = "Open positions (symbol, qty, avg_cost, current_price, market_value, unrealized_pl, realized_pl)."
    output_schema = schema(positions="array", realized_pl="number")
    reader = staticmethod(_positions)


class OrdersTool(DeskReadTool):
    name = "get_orders"
    description = "Open and latest closed orders (id, symbol, side, type, status, qty, prices, fills)."
    output_schema = schema(open="array", closed="array")
    reader = staticmethod(_orders)


class AssetCheckTool(Tool):
    name = "check_asset"
    description = "Whether a symbol is tradable, fractionable and shortable on this account."
    inputs = {"symbol": {"type": "string", "description": "Ticker, e.g. 'AAPL'."}}
    output_type = "string"

    def __init__(self, desk: TradingDesk):
        self._read = desk.asset_text
        super().__init__()

    def forward(self, symbol: str) -> str:
        return self._read(symbol)


class MarketClockTool(Tool):
    name = "market_clock"
    description = "Whether the US stock market is open now; the next open and close."
    inputs = {}
    output_type = "string"

    def __init__(self, desk: TradingDesk):
        self._read = desk.clock_text
        super().__init__()

    def forward(self) -> str:
        return self._read()


class ProposeOrderTool(Tool):
    name = "propose_order"
    description = (
        "Files an order ticket for the person to confirm or reject in the chat (never places it); returns the "
        "ticket id and risk checks. qty or notional (market orders only); a bracket needs take_profit and stop_loss."
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
            raise UserError(f"No ticket created: {exc.user_message}") from None
        if self.on_ticket is not None:
            self.on_ticket(self._card(ticket))
        verdict = ticket.risk.summary()
        return (f"Ticket {ticket.id} created ({ticket.order.describe()}, est. cost ${ticket.risk.est_cost:,.2f}), "
                f"awaiting the person's confirmation in the chat; it has NOT been executed. Risk checks: {verdict}.")


def trading_tools(desk: TradingDesk, on_ticket: Callable | None = None) -> list[Tool]:
    """The trader's trading tools for this session's desk. None of them places an order."""
    return [AccountTool(desk), PositionsTool(desk), OrdersTool(desk), AssetCheckTool(desk), MarketClockTool(desk),
            ProposeOrderTool(desk, on_ticket)]
