"""Alpaca through alpaca-py's `TradingClient`, behind the same `Broker` interface as the paper ledger.

Why the extra care around `submit`: alpaca-py retries 429/504 itself, but a
request that times out *after* Alpaca accepted the order leaves us not knowing.
We then look the order up by its `client_order_id` (Alpaca keeps it unique per
account) and only resubmit when Alpaca has never seen it, so a retry can never
place a second order.

The keys live only inside the `TradingClient`; this class's repr and every
error message it raises are free of them.
"""

from __future__ import annotations

import json
from datetime import datetime

import requests
from requests.adapters import HTTPAdapter

from trading.broker import (
    Account,
    Asset,
    BrokerError,
    BrokerUnavailable,
    Clock,
    InsufficientFunds,
    Order,
    OrderRejected,
    OrderRequest,
    Position,
)

DEFAULT_TIMEOUT_S = 15.0


class _TimeoutAdapter(HTTPAdapter):
    """alpaca-py sends requests without a timeout; a hung connection must not hang a chat turn forever."""

    def __init__(self, timeout_s: float):
        super().__init__()
        self.timeout_s = timeout_s

    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout_s
        return super().send(request, **kwargs)


def _float_or_none(value) -> float | None:
    """Alpaca's decimal strings as floats; None (or "") stays None."""
    return None if value is None or value == "" else float(value)


def _enum(value) -> str:
    return str(getattr(value, "value", value) or "")


def _error_text(exc) -> str:
    raw = str(exc)
    try:
        return json.loads(raw).get("message") or raw
    except (ValueError, AttributeError):
        return raw


class AlpacaBroker:
    kind = "Alpaca"

    def __init__(self, api_key: str, secret_key: str, *, paper: bool = True, url_override: str | None = None,
                 timeout_s: float = DEFAULT_TIMEOUT_S, retry_wait_s: float | None = None):
        from alpaca.trading.client import TradingClient

        self.is_paper = paper
        self._client = TradingClient(api_key, secret_key, paper=paper, url_override=url_override or None)
        adapter = _TimeoutAdapter(timeout_s)
        self._client._session.mount("http://", adapter)
        self._client._session.mount("https://", adapter)
        if retry_wait_s is not None:  # tests: don't sleep alpaca-py's default 3 s between 429 retries
            self._client._retry_wait = retry_wait_s

    def __repr__(self) -> str:
        return f"AlpacaBroker(paper={self.is_paper})"

    def close(self) -> None:
        self._client._session.close()

    # --- calling Alpaca -----------------------------------------------------------------

    def _call(self, what: str, fn, *args):
        from alpaca.common.exceptions import APIError

        try:
            return fn(*args)
        except APIError as exc:
            status = exc.status_code
            text = _error_text(exc)
            if status == 403:
                raise InsufficientFunds(f"Alpaca refused to {what}: {text}", status=status) from None
            if status in (400, 404, 422):
                raise OrderRejected(f"Alpaca rejected the request to {what}: {text}", status=status) from None
            if status == 429:
                raise BrokerUnavailable(f"Alpaca is rate-limiting requests; try again shortly ({text}).",
                                        status=status, retryable=True) from None
            raise BrokerError(f"Alpaca failed to {what} (HTTP {status}): {text}", status=status,
                              retryable=status is None or status >= 500) from None
        except requests.exceptions.RequestException as exc:
            raise BrokerUnavailable(f"Alpaca could not be reached to {what} ({type(exc).__name__}).",
                                    retryable=True) from None

    # --- reads -----------------------------------------------------------------------------

    def account(self) -> Account:
        a = self._call("read the account", self._client.get_account)
        return Account(cash=_float_or_none(a.cash) or 0.0, equity=_float_or_none(a.equity) or 0.0,
                       buying_power=_float_or_none(a.buying_power) or 0.0, currency=a.currency or "USD",
                       status=_enum(a.status), trading_blocked=bool(a.trading_blocked or a.account_blocked),
                       shorting_enabled=bool(a.shorting_enabled))

    def positions(self) -> list[Position]:
        rows = self._call("list positions", self._client.get_all_positions)
        return [
            Position(symbol=p.symbol, qty=_float_or_none(p.qty) or 0.0,
                     avg_cost=_float_or_none(p.avg_entry_price) or 0.0,
                     current_price=_float_or_none(p.current_price) or 0.0,
                     market_value=_float_or_none(p.market_value) or 0.0,
                     unrealized_pl=_float_or_none(p.unrealized_pl) or 0.0)
            for p in rows
        ]

    def orders(self, status: str = "open", limit: int = 50) -> list[Order]:
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        query = GetOrdersRequest(status=QueryOrderStatus.OPEN if status == "open" else QueryOrderStatus.ALL,
                                 limit=limit, nested=True)
        return [self._order(o) for o in self._call("list orders", self._client.get_orders, query)]

    def sweep(self) -> None:
        """Nothing to do: Alpaca fills and expires resting orders itself."""

    def order_by_client_id(self, client_order_id: str) -> Order | None:
        try:
            return self._order(self._call("look up an order", self._client.get_order_by_client_id, client_order_id))
        except OrderRejected as exc:
            if exc.status == 404:
                return None
            raise

    def asset(self, symbol: str) -> Asset:
        try:
            a = self._call(f"look up {symbol}", self._client.get_asset, symbol.upper())
        except OrderRejected as exc:
            if exc.status == 404:
                return Asset(symbol=symbol.upper(), name="unknown symbol", tradable=False, fractionable=False,
                             shortable=False)
            raise
        return Asset(symbol=a.symbol, name=a.name or a.symbol,
                     tradable=bool(a.tradable) and _enum(a.status) == "active",
                     fractionable=bool(a.fractionable), shortable=bool(a.shortable), exchange=_enum(a.exchange))

    def clock(self) -> Clock:
        c = self._call("read the market clock", self._client.get_clock)
        return Clock(is_open=bool(c.is_open), timestamp=c.timestamp, next_open=c.next_open, next_close=c.next_close)

    # --- writes -----------------------------------------------------------------------------

    def submit(self, order: OrderRequest) -> Order:
        """Place `order` exactly once, even across timeouts and retries (keyed on client_order_id)."""
        request = self._request(order)
        try:
            return self._order(self._call("place the order", self._client.submit_order, request))
        except OrderRejected as exc:
            # A retry of an order Alpaca already has is refused as a duplicate client_order_id: return that order.
            found = self.order_by_client_id(order.client_order_id) if exc.status == 422 else None
            if found is None:
                raise
            return found
        except BrokerUnavailable:
            # Did Alpaca accept it before the connection failed? Ask by our idempotency key.
            found = self.order_by_client_id(order.client_order_id)
            if found is not None:
                return found
            return self._order(self._call("place the order", self._client.submit_order, request))

    def cancel(self, order_id: str) -> None:
        self._call("cancel the order", self._client.cancel_order_by_id, order_id)

    # --- mapping ------------------------------------------------------------------------------

    @staticmethod
    def _request(order: OrderRequest):
        from alpaca.trading import requests as r
        from alpaca.trading.enums import OrderClass, OrderSide, TimeInForce

        common = dict(
            symbol=order.symbol.upper(), side=OrderSide(order.side), time_in_force=TimeInForce(order.time_in_force),
            client_order_id=order.client_order_id,
        )
        if order.qty is not None:
            common["qty"] = order.qty
        else:
            common["notional"] = order.notional
        if order.is_bracket:
            common["order_class"] = OrderClass.BRACKET
            common["take_profit"] = r.TakeProfitRequest(limit_price=order.take_profit)
            common["stop_loss"] = r.StopLossRequest(stop_price=order.stop_loss)
        try:
            if order.type == "market":
                return r.MarketOrderRequest(**common)
            if order.type == "limit":
                return r.LimitOrderRequest(limit_price=order.limit_price, **common)
            if order.type == "stop":
                return r.StopOrderRequest(stop_price=order.stop_price, **common)
            if order.type == "stop_limit":
                return r.StopLimitOrderRequest(stop_price=order.stop_price, limit_price=order.limit_price, **common)
        except ValueError as exc:
            raise OrderRejected(f"The order is not valid for Alpaca: {exc}") from None
        raise OrderRejected(f"Unknown order type {order.type!r}.")

    def _order(self, o) -> Order:
        created = o.created_at.isoformat() if isinstance(o.created_at, datetime) else str(o.created_at or "")
        return Order(
            id=str(o.id), client_order_id=o.client_order_id or "", symbol=o.symbol or "", side=_enum(o.side),
            type=_enum(o.order_type or o.type), status=_enum(o.status), qty=_float_or_none(o.qty),
            notional=_float_or_none(o.notional), limit_price=_float_or_none(o.limit_price),
            stop_price=_float_or_none(o.stop_price), filled_qty=_float_or_none(o.filled_qty) or 0.0,
            filled_avg_price=_float_or_none(o.filled_avg_price), order_class=_enum(o.order_class) or "simple",
            time_in_force=_enum(o.time_in_force), created_at=created,
            legs=tuple(self._order(leg) for leg in (o.legs or ())),
        )
