"""The per-workspace trading desk: one broker, one ticket book, and the only code path that executes orders.

`propose()` is what the trader's `propose_order` tool and `/buy` call: it runs
the risk gate and files a ticket. `confirm()` is what the Confirm button, the
API and `/confirm` call: it re-checks who is asking, re-runs the risk gate with
fresh numbers, and sends that exact ticket's order once. No model output passes
through `confirm()`; the tools are never handed the desk itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from core.db import store_target
from core.errors import UserError, user_message
from core.settings import Settings
from core.symbols import valid_symbol
from trading import views
from trading.access import may_confirm, may_use_real_broker
from trading.broker import ORDER_TYPES, TIMES_IN_FORCE, Broker, BrokerError, OrderRequest
from trading.market_hours import trading_date
from trading.outcomes import DeskOutcome, PortfolioView, TicketCard
from trading.risk import RiskLimits, RiskReport, evaluate
from trading.tickets import (
    EXECUTED,
    EXECUTING,
    EXPIRED,
    FAILED,
    PENDING,
    REFUSED,
    REJECTED,
    Ticket,
    TicketBook,
    TicketLimitError,
    too_many_pending,
)
from trading.workspace_desks import WorkspaceDesks


class TradingInputError(UserError, ValueError):
    """An order request that cannot become a ticket; the message says why, for the chat or the model."""


class NoCurrentPrice(TradingInputError):
    """The order was well formed but its symbol has no price now (unknown, delisted, or market data down)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TradingDesk:
    def __init__(self, broker: Broker, *, settings: Callable[[], object], price_of: Callable[[str], float],
                 now: Callable[[], datetime] = _utc_now, user: str | None = None,
                 history_of: Callable[[str], object] | None = None, tickets: TicketBook | None = None):
        self.broker = broker
        self._settings = settings
        self.price_of = price_of
        self.now = now
        self.user = user
        self.history_of = history_of
        # the lasting book (build_desk: the workspace's, in the ledger file); else one that lives with this desk
        self.tickets = tickets or TicketBook(":memory:", workspace="", account="",
                                             ttl_s=float(settings().ticket_ttl_s))
        self.metrics = None  # telemetry.metrics.Metrics (set by build_desk): orders by broker and status
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"TradingDesk({self.mode_label()!r}, user={self.user!r})"

    @property
    def settings(self):
        """The current `Settings`, looked up on every use (never cached by the desk).

        Settings are frozen and read from the environment once, at start: an operator turns the kill switch
        (TRADING_KILL_SWITCH) on by restarting the app. Code that replaces `Desks.settings` with a new
        `Settings` is seen at the next confirmation, which re-runs the risk gate."""
        return self._settings()

    def mode_label(self) -> str:
        if self.broker.kind == "built-in":
            return "Paper · built-in"
        return f"{'Paper' if self.broker.is_paper else 'LIVE'} · Alpaca"

    def close(self) -> None:
        self.broker.close()
        self.tickets.close()

    # --- reads (the trader's tools use these) -------------------------------------------------

    def account_text(self) -> str:
        return views.account_text(self.broker.account(), self.mode_label())

    def positions_text(self) -> str:
        realized = self.broker.realized_pl() if hasattr(self.broker, "realized_pl") else None
        return views.positions_text(self.broker.positions(), realized)

    def orders_text(self) -> str:
        self.broker.sweep()  # resting orders that crossed are shown filled (reads never sweep by themselves)
        return views.orders_text(self.broker.orders("open"), self.broker.orders("all", limit=20))

    def asset_text(self, symbol: str) -> str:
        return views.asset_text(self.broker.asset(self._symbol(symbol)))

    def clock_text(self) -> str:
        return views.clock_text(self.broker.clock())

    def portfolio(self) -> PortfolioView:
        """Holdings, P&L, allocation and performance vs SPY (charts as plotly figures)."""
        from trading.portfolio import portfolio_view

        realized = self.broker.realized_pl() if hasattr(self.broker, "realized_pl") else None
        return portfolio_view(self.broker.account(), self.broker.positions(), self.mode_label(),
                               realized_pl=realized, history_of=self.history_of)

    def pending_tickets(self) -> list[Ticket]:
        return self.tickets.pending(self.now())

    def orders_today(self) -> int:
        """Orders executed from this workspace's tickets on today's New York trading date, read from the stored
        tickets (so a restart does not reset the daily limit), dated by the broker's order time."""
        today = trading_date(self.now())
        return sum(1 for t in self.tickets.all()
                   if t.status == EXECUTED and t.result is not None and _trading_date_of(t.result.created_at) == today)

    # --- proposing -------------------------------------------------------------------------------

    def propose(self, symbol: str, side: str, qty: float | None = None, notional: float | None = None,
                order_type: str = "market", limit_price: float | None = None, stop_price: float | None = None,
                take_profit: float | None = None, stop_loss: float | None = None,
                time_in_force: str = "day") -> Ticket:
        """Validate, run the risk gate, and file a ticket. Never places an order."""
        order = OrderRequest(
            symbol=self._symbol(symbol), side=_choice("side", side, ("buy", "sell")),
            type=_choice("order type", (order_type or "market").replace("-", "_"), ORDER_TYPES),
            qty=_number("qty", qty), notional=_number("notional", notional),
            limit_price=_number("limit price", limit_price), stop_price=_number("stop price", stop_price),
            take_profit=_number("take-profit", take_profit), stop_loss=_number("stop-loss", stop_loss),
            time_in_force=_choice("time in force", time_in_force or "day", TIMES_IN_FORCE),
        )
        if (order.qty is None) == (order.notional is None):
            raise TradingInputError("Give exactly one of qty (shares) or notional (dollars).")
        if order.notional is not None and (order.type != "market" or order.is_bracket):
            raise TradingInputError("A dollar amount (notional) works only for simple market orders.")
        if order.type in ("limit", "stop_limit") and order.limit_price is None:
            raise TradingInputError(f"A {order.type.replace('_', '-')} order needs a limit price.")
        if order.type in ("stop", "stop_limit") and order.stop_price is None:
            raise TradingInputError(f"A {order.type.replace('_', '-')} order needs a stop price.")
        if order.type in ("market", "stop") and order.limit_price is not None:
            raise TradingInputError(f"A {order.type} order takes no limit price (use stop_limit or limit).")
        if order.type in ("market", "limit") and order.stop_price is not None:
            raise TradingInputError(f"A {order.type} order takes no stop price (use stop or stop_limit).")
        if order.is_bracket and (order.take_profit is None or order.stop_loss is None):
            raise TradingInputError("A bracket order needs both a take-profit and a stop-loss price.")
        limit = getattr(self.settings, "tickets_max_pending", None)
        if limit is not None and len(self.pending_tickets()) >= limit:  # before pricing it: refusing costs nothing
            raise TicketLimitError(too_many_pending(len(self.pending_tickets()), limit))
        report = self._risk(order)
        return self.tickets.create(order, report, self.now(), max_pending=limit)

    def _risk(self, order: OrderRequest) -> RiskReport:
        try:
            price = float(self.price_of(order.symbol))
        except Exception as exc:
            message = user_message(exc)
            raise NoCurrentPrice(f"No current price for {order.symbol}, so no ticket: {message}") from None
        position_qty = sum(p.qty for p in self.broker.positions() if p.symbol == order.symbol)
        open_buy, open_sell = self._open_qty(order.symbol, price)
        return evaluate(
            order, limits=RiskLimits.from_settings(self.settings), price=price, account=self.broker.account(),
            position_qty=position_qty, asset=self.broker.asset(order.symbol), clock=self.broker.clock(),
            orders_today=self.orders_today(), open_buy_qty=open_buy, open_sell_qty=open_sell,
        )

    def _open_qty(self, symbol: str, price: float) -> tuple[float, float]:
        """(buy, sell) shares of `symbol` still to fill on the account's open orders (a dollar order by `price`).
        The two legs of a bracket (take-profit and stop-loss: one cancels the other) count once."""
        left_by_group: dict[tuple[str, str], float] = {}
        for o in self.broker.orders("open", limit=500):
            if o.symbol != symbol or not o.is_open:
                continue
            qty = o.qty if o.qty is not None else (o.notional or 0.0) / price if price > 0 else 0.0
            left = max(0.0, float(qty) - float(o.filled_qty or 0.0))
            coid = o.client_order_id or ""
            group = coid.rsplit("-", 1)[0] if coid.endswith(("-take_profit", "-stop_loss")) else o.id
            left_by_group[(o.side, group)] = max(left, left_by_group.get((o.side, group), 0.0))
        buy = sum(left for (side, _), left in left_by_group.items() if side == "buy")
        return buy, sum(left for (side, _), left in left_by_group.items() if side != "buy")

    def ticket_card(self, ticket: Ticket) -> TicketCard:
        return TicketCard(ticket, views.ticket_markdown(ticket, self.mode_label(), self.now(),
                                                        last_price=self._last_price(ticket.order.symbol)))

    def _last_price(self, symbol: str) -> float | None:
        """The market's last price for the card (from the shared quote cache); None when it cannot be had."""
        try:
            price = float(self.price_of(symbol))
        except Exception:
            return None
        return price if price > 0 else None

    # --- the person's decision (buttons, API, /confirm, /reject) ---------------------------------

    def confirm(self, ticket_id: str, actor: str | None) -> DeskOutcome:
        """Execute that exact ticket once, after the access check and a fresh risk gate."""
        with self._lock:
            ticket = self.tickets.get(ticket_id, self.now())
            if ticket is None:
                return _refused(f"There is no ticket {ticket_id!r} in this session. Nothing was sent.")
            if ticket.claim_is_stale(self.now()):
                self._reconcile(ticket)
            if ticket.status != PENDING:
                return self._decided_elsewhere(ticket)
            decision = may_confirm(self.settings, self.broker.kind, actor)
            if not decision.allowed:
                self.tickets.note(ticket, f"confirm refused for {actor!r}: {decision.reason}")
                return _refused(f"Not confirmed: {decision.reason}", ticket)
            try:
                report = self._risk(ticket.order)
            except (TradingInputError, BrokerError) as exc:
                return _refused(f"Ticket {ticket.id} was not sent: {user_message(exc)}. Confirm again to retry.",
                                ticket)
            if not report.passed:
                if not self.tickets.update(ticket, PENDING, status=REFUSED, risk=report, error=report.summary()):
                    return self._decided_elsewhere(ticket)
                self._count_order("refused")
                return _refused(f"Ticket {ticket.id} was refused by the risk gate at confirmation, nothing was sent:"
                                f"\n\n{views.risk_lines(report)}", ticket)
            if not self.tickets.claim(ticket, self.now()):  # another tab, desk or process is confirming it
                return self._decided_elsewhere(ticket)
            try:
                order = self.broker.submit(ticket.order)
            except BrokerError as exc:
                self._count_order("retryable_error" if exc.retryable else "failed")
                if exc.retryable:
                    # same client_order_id next time, so a retry can't double-place
                    self.tickets.update(ticket, EXECUTING, status=PENDING)
                    return _refused(f"The broker could not be reached for ticket {ticket.id}: {exc.user_message} "
                                     "Confirm again to retry; it can never place two orders.", ticket)
                self.tickets.update(ticket, EXECUTING, status=FAILED, error=exc.user_message)
                return _refused(f"Ticket {ticket.id} failed at the broker: {exc.user_message}", ticket)
            except Exception as exc:  # an unknown failure: keep the ticket retryable, idempotently
                self._count_order("retryable_error")
                self.tickets.update(ticket, EXECUTING, status=PENDING)
                return _refused(f"Ticket {ticket.id} hit an unexpected error ({type(exc).__name__}). "
                                "Confirm again to retry; it can never place two orders.", ticket)
            self.tickets.update(ticket, EXECUTING, status=EXECUTED, result=order)
            self._count_order(str(getattr(order, "status", None) or "submitted"))
            self.tickets.note(ticket, f"confirmed by {actor or 'this session'}")
        try:
            positions = self.positions_text()
        except BrokerError:
            positions = None
        placed = "filled" if getattr(order, "status", None) == "filled" else "order placed"
        return DeskOutcome(True, views.order_result_text(order), ticket, f"Ticket {ticket.id}: {placed}", positions)

    def _decided_elsewhere(self, ticket: Ticket) -> DeskOutcome:
        """The answer for a ticket no longer pending: decided before, or by a confirmation that won the race."""
        if ticket.status == EXECUTED:
            return _done(f"Ticket {ticket.id} was already confirmed; no second order was placed.\n\n"
                         + views.order_result_text(ticket.result), ticket)
        if ticket.status == EXECUTING:
            return _refused(f"Ticket {ticket.id} is being executed by another confirmation right now; "
                            "no second order is placed.", ticket)
        return _refused(f"Ticket {ticket.id} is {ticket.status}; it can no longer be confirmed. Nothing was sent.",
                        ticket)

    def _reconcile(self, ticket: Ticket) -> None:
        """A ticket left `executing` by a crash: executed if the broker has its order, else pending again
        (safe to retry: the broker places one order per client_order_id)."""
        try:
            order = self.broker.order_by_client_id(ticket.client_order_id)
        except BrokerError:
            return
        if order is not None:
            self.tickets.update(ticket, EXECUTING, status=EXECUTED, result=order)
        else:
            self.tickets.update(ticket, EXECUTING, status=PENDING)
        if ticket.status == PENDING and ticket.is_expired(self.now()):
            self.tickets.update(ticket, PENDING, status=EXPIRED)

    def _count_order(self, status: str) -> None:
        if self.metrics is not None:
            self.metrics.orders.labels(broker=self.broker.kind, status=status).inc()

    def reject(self, ticket_id: str, actor: str | None) -> DeskOutcome:
        with self._lock:
            ticket = self.tickets.get(ticket_id, self.now())
            if ticket is None:
                return _refused(f"There is no ticket {ticket_id!r} in this session.")
            if ticket.status != PENDING or not self.tickets.update(ticket, PENDING, status=REJECTED):
                return _done(f"Ticket {ticket.id} is already {ticket.status}.", ticket)
            self.tickets.note(ticket, f"rejected by {actor or 'this session'}")
        return _done(f"Ticket {ticket.id} rejected: {ticket.order.describe()}. Nothing was sent to the broker.",
                     ticket, title=f"Ticket {ticket.id} rejected")

    def cancel(self, order_id: str, actor: str | None) -> DeskOutcome:
        decision = may_confirm(self.settings, self.broker.kind, actor)
        if not decision.allowed:
            return _refused(f"Not canceled: {decision.reason}")
        order_id = (order_id or "").strip()
        if not order_id:
            raise TradingInputError("Which order? Give its id (see /orders).")
        if self.broker.kind != "built-in":
            matches = [o.id for o in self.broker.orders("open") if o.id.startswith(order_id)]
            if len(matches) == 1:
                order_id = matches[0]
        self.broker.cancel(order_id)
        return _done(f"Order `{order_id[:8]}` canceled.")

    # --- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _symbol(symbol: str) -> str:
        return valid_symbol(symbol, TradingInputError)


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    text = str(value or "").strip().lower()
    if text not in allowed:
        raise TradingInputError(f"The {name} must be one of {', '.join(allowed)}, not {value!r}.")
    return text


def _number(name: str, value) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(str(value).replace(",", "").replace("$", ""))
    except ValueError:
        raise TradingInputError(f"The {name} must be a number, not {value!r}.") from None
    if not number > 0 or number != number or number == float("inf"):
        raise TradingInputError(f"The {name} must be a positive number, not {value!r}.")
    return number


def _refused(text: str, ticket: Ticket | None = None) -> DeskOutcome:
    return DeskOutcome(False, text, ticket)


def _done(text: str, ticket: Ticket | None = None, title: str | None = None) -> DeskOutcome:
    return DeskOutcome(True, text, ticket, title)


# --- building a session's desk ------------------------------------------------------------------


def price_from_market(market) -> Callable[[str], float]:
    """`services.market.quote(symbol).price` as a plain callable (the desk's only price source)."""

    def price_of(symbol: str) -> float:
        if market is None:
            raise BrokerError("Market data is not available, so there is no price to trade at.")
        price = market.quote(symbol).price
        if price is None:
            raise BrokerError(f"Market data has no current price for {symbol}.")
        return float(price)

    return price_of


def history_from_market(market) -> Callable[[str], object] | None:
    """Daily closes for the portfolio charts, from the shared market-data client (None when there is none)."""
    if market is None or not hasattr(market, "history"):
        return None

    def history_of(symbol: str):
        return market.history(symbol, period="6mo", interval="1d")

    return history_of


def build_desk(settings: Settings | Callable[[], Settings], market: Any = None, metrics: Any = None, *,
               session_id: str, user: str | None, now: Callable[[], datetime] = _utc_now,
               price_of: Callable[[str], float] | None = None, workspace_id: str | None = None) -> TradingDesk:
    """Alpaca for an allowlisted signed-in person when keys are set; the built-in paper ledger otherwise.

    `settings`: the `Settings`, or a callable giving the current ones (the desk looks them up on every use);
    `market`: the shared `market.client.MarketData`; `metrics`: `telemetry.metrics.Metrics` (orders counted)."""
    current = settings if callable(settings) else (lambda: settings)
    settings = current()
    price_of = price_of or price_from_market(market)
    if settings.alpaca_configured and may_use_real_broker(settings, user).allowed:
        from trading.alpaca_broker import AlpacaBroker

        broker = AlpacaBroker(settings.alpaca_api_key.reveal(), settings.alpaca_secret_key.reveal(),
                              paper=not settings.live_trading, url_override=settings.alpaca_url_override or None)
    else:
        from trading.paper import PaperBroker

        broker = PaperBroker(store_target(settings, settings.paper_ledger_path),
                             paper_account_id(user, workspace_id, session_id),
                             starting_cash=settings.paper_starting_cash, price_of=price_of, now=now)
    tickets = TicketBook(store_target(settings, settings.paper_ledger_path),
                         workspace=workspace_id or f"session:{session_id}", account=ticket_account(broker),
                         ttl_s=float(settings.ticket_ttl_s))
    desk = TradingDesk(broker, settings=current, price_of=price_of, now=now, user=user,
                       history_of=history_from_market(market), tickets=tickets)
    desk.metrics = metrics
    return desk


def ticket_account(broker: Broker) -> str:
    """Which account a ticket book is for: a ticket proposed on one never executes on another (paper vs live)."""
    if broker.kind == "built-in":
        return f"paper:{broker.account_id}"
    return f"{broker.kind.lower()}:{'paper' if broker.is_paper else 'live'}"


def _trading_date_of(created_at: str) -> str | None:
    try:
        return trading_date(datetime.fromisoformat(str(created_at).replace("Z", "+00:00")))
    except ValueError:
        return None


def paper_account_id(user: str | None, workspace_id: str | None, session_id: str) -> str:
    """The ledger account: the signed-in name's, else the workspace's, else (no workspace yet) the session's."""
    if user:
        return f"user:{user}"
    return f"workspace:{workspace_id}" if workspace_id else f"session:{session_id}"


SESSION_PREFIX = "session:"  # chat.session.Session.workspace_id of a session no workspace was bound to


class Desks(WorkspaceDesks):
    """The process's trading desks: one per workspace (and signed-in name), shared by every tab and API client of it,
    built on first use. A workspace id `session:<id>` (a session with no workspace, as in tests) gets that session's
    own paper account."""

    def __init__(self, settings: Settings, market: Any = None, metrics: Any = None):
        self.settings = settings  # looked up by every desk on every use (never cached by a desk)
        self.market = market  # market.client.MarketData: the desks' only price source
        self.metrics = metrics  # telemetry.metrics.Metrics, or None
        super().__init__()

    def build(self, workspace_id: str, user: str | None) -> TradingDesk:
        if workspace_id.startswith(SESSION_PREFIX):
            session_id, workspace = workspace_id.removeprefix(SESSION_PREFIX), None
        else:
            session_id, workspace = workspace_id, workspace_id
        return build_desk(lambda: self.settings, self.market, self.metrics, session_id=session_id, user=user,
                          workspace_id=workspace)

    def for_workspace(self, workspace_id: str, user: str | None) -> TradingDesk:
        """The desk of a workspace, per signed-in name (kept open while the app runs)."""
        return self.get((workspace_id, user), lambda: self.build(workspace_id, user))

    def borrowed(self, workspace_id: str, user: str | None):  # type: ignore[override]
        """A context manager giving a workspace's desk to a background job (the alert briefs, the daily equity job)
        without keeping one open for every workspace it visits."""
        return super().borrowed((workspace_id, user), lambda: self.build(workspace_id, user))
