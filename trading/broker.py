"""The one broker interface both brokers implement, and the plain data it speaks.

Tools, commands and the UI only ever see these dataclasses, so they never care
whether Alpaca or the built-in paper ledger is behind the desk. Every value is
a plain float/str so it renders and serialises without surprises.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Protocol

from core.errors import UserError

SIDES = ("buy", "sell")
ORDER_TYPES = ("market", "limit", "stop", "stop_limit")
TIMES_IN_FORCE = ("day", "gtc")
OPEN_STATUSES = ("new", "accepted", "pending_new", "partially_filled", "held", "accepted_for_bidding", "triggered")



def price_words(order_type: str, stop_price: float | None, limit_price: float | None) -> str:
    """" stop 99 limit 98" for priced orders, " market" (the type) otherwise."""
    if stop_price is None and limit_price is None:
        return f" {order_type.replace('_', '-')}"
    words = f" stop {stop_price:g}" if stop_price is not None else ""
    return words + (f" limit {limit_price:g}" if limit_price is not None else "")

class BrokerError(UserError):
    """A broker refused or failed; `user_message` is safe to show in the chat."""

    def __init__(self, user_message: str, *, status: int | None = None, retryable: bool = False):
        super().__init__(user_message)
        self.status = status
        self.retryable = retryable


class InsufficientFunds(BrokerError):
    """Not enough cash / buying power / shares for the order."""


class OrderRejected(BrokerError):
    """The broker rejected the order's parameters."""


class BrokerUnavailable(BrokerError):
    """The broker could not be reached (timeout, connection refused, 5xx)."""


def new_client_order_id() -> str:
    """A fresh idempotency key; brokers refuse a second order with the same one."""
    return f"smol-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class OrderRequest:
    """Exactly what will be sent to the broker. Frozen: a confirmed ticket executes this object unchanged."""

    symbol: str
    side: str  # buy | sell
    type: str = "market"  # market | limit | stop | stop_limit
    qty: float | None = None
    notional: float | None = None  # dollars instead of a share count (market orders only)
    limit_price: float | None = None
    stop_price: float | None = None
    take_profit: float | None = None  # bracket: take-profit limit price
    stop_loss: float | None = None  # bracket: stop-loss stop price
    time_in_force: str = "day"
    client_order_id: str = field(default_factory=new_client_order_id)

    @property
    def is_bracket(self) -> bool:
        return self.take_profit is not None or self.stop_loss is not None

    def describe(self) -> str:
        amount = f"${self.notional:,.2f} of" if self.notional is not None else f"{format_qty(self.qty)}"
        text = f"{self.side.upper()} {amount} {self.symbol}{price_words(self.type, self.stop_price, self.limit_price)}"
        if self.is_bracket:
            text += f" (take-profit {self.take_profit:g}, stop-loss {self.stop_loss:g})"
        return text

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Account:
    cash: float
    equity: float
    buying_power: float
    currency: str = "USD"
    status: str = "ACTIVE"
    trading_blocked: bool = False
    shorting_enabled: bool = False  # the account may sell short (Alpaca's shorting_enabled; never the paper ledger)


@dataclass(frozen=True)
class Position:
    symbol: str
    qty: float
    avg_cost: float
    current_price: float
    market_value: float
    unrealized_pl: float
    realized_pl: float | None = None  # the paper ledger knows it; Alpaca positions don't carry it


@dataclass(frozen=True)
class Order:
    id: str
    client_order_id: str
    symbol: str
    side: str
    type: str
    status: str
    qty: float | None = None
    notional: float | None = None
    limit_price: float | None = None
    stop_price: float | None = None
    filled_qty: float = 0.0
    filled_avg_price: float | None = None
    order_class: str = "simple"
    time_in_force: str = "day"
    created_at: str = ""
    legs: tuple[Order, ...] = ()
    reason: str = ""  # why it was rejected/canceled, when known

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def describe(self) -> str:
        amount = f"{format_qty(self.qty)}" if self.qty is not None else f"${(self.notional or 0):,.2f} of"
        text = f"`{self.id[:8]}` {self.side} {amount} {self.symbol}"
        text += price_words(self.type, self.stop_price, self.limit_price) + f" — **{self.status}**"
        if self.filled_qty:
            text += f" ({format_qty(self.filled_qty)} filled @ {self.filled_avg_price:,.2f})"
        if self.reason:
            text += f" ({self.reason})"
        return text


@dataclass(frozen=True)
class Fill:
    order_id: str
    symbol: str
    side: str
    qty: float
    price: float
    at: str


@dataclass(frozen=True)
class Asset:
    symbol: str
    name: str
    tradable: bool
    fractionable: bool
    shortable: bool
    exchange: str = ""


@dataclass(frozen=True)
class Clock:
    is_open: bool
    timestamp: datetime
    next_open: datetime | None = None
    next_close: datetime | None = None


class Broker(Protocol):
    """What a desk needs from a broker. Implemented by PaperBroker and AlpacaBroker."""

    kind: str  # "built-in" | "Alpaca"
    is_paper: bool

    def account(self) -> Account: ...

    def positions(self) -> list[Position]: ...

    def orders(self, status: str = "open", limit: int = 50) -> list[Order]:
        """A read: it never changes an order (call `sweep()` first for fresh fills)."""
        ...

    def sweep(self) -> None:
        """Bring resting orders up to date: fill those whose price crossed, expire stale day orders (a no-op for
        a broker that does this itself)."""
        ...

    def submit(self, order: OrderRequest) -> Order:
        """Place the order; idempotent on `order.client_order_id` (a repeat returns the first order)."""
        ...

    def order_by_client_id(self, client_order_id: str) -> Order | None: ...

    def cancel(self, order_id: str) -> None: ...

    def asset(self, symbol: str) -> Asset: ...

    def clock(self) -> Clock: ...

    def close(self) -> None: ...


def format_qty(value: float | None) -> str:
    """A share count for people: 10, 1,250, 0.333333 (no trailing zeros); "?" when unknown."""
    if value is None:
        return "?"
    return f"{value:,.6f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
