"""The built-in paper broker: a persistent ledger (SQLite file, or the shared PostgreSQL database with
DATABASE_URL), one account per person.

Every order is one transaction (`BEGIN IMMEDIATE` on SQLite; on PostgreSQL under the account's advisory lock, so
replicas queue on one account), so a
crash (even `kill -9`) in the middle of an order leaves either the whole order
or none of it, and the ledger survives restarts. Money and quantities are kept
as exact decimals (TEXT columns) so cash and positions reconcile with the fills
to the cent, forever.

Rules (a practice account, kept simple and strict):
- market orders fill at once at `price_of(symbol)`;
- limit / stop / stop-limit orders rest until the price crosses, checked by `sweep()`
  (run before each order, and by callers that want fresh fills: the desk before it shows
  orders or cancels one, the equity snapshot); day orders expire when the New York date changes;
- reads (`account()`, `positions()`, `orders()`, ...) take the lock and never write (not even
  a sweep), so a read never sees another thread's order half-way (tables and rules:
  `trading.paper_ledger`);
- bracket buys: when the entry fills, a take-profit limit sell and a stop-loss
  stop sell are created; when one fills the other is canceled (OCO);
- no shorting and no margin: cash and share counts never go negative, and open
  orders reserve the cash/shares they may need.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from core.db import Database, Row
from trading.broker import Account, Asset, BrokerError, Clock, Fill, Order, OrderRejected, OrderRequest, Position
from trading.market_hours import trading_date, us_equity_clock
from trading.paper_ledger import OPEN_STATES, ZERO, LedgerRules, _dec, _f, _utc_now

PriceOf = Callable[[str], float]
Now = Callable[[], datetime]


class PaperBroker(LedgerRules):
    """One paper account in the shared ledger file. Thread-safe; one connection per instance."""

    kind = "built-in"
    is_paper = True

    def __init__(self, ledger_path: str | Path, account_id: str, *, starting_cash: float,
                 price_of: PriceOf, now: Now = _utc_now):
        self.ledger_path = str(ledger_path)
        self.account_id = account_id
        self.price_of = price_of
        self.now = now
        self._lock = threading.RLock()
        self._db = Database(self.ledger_path, synchronous="FULL")  # a file, or DATABASE_URL's database
        self._then = "id" if self._db.is_postgres else "rowid"  # among orders of the same microsecond
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO accounts (id, cash, starting_cash, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (account_id, str(_dec(starting_cash)), str(_dec(starting_cash)), self.now().isoformat()),
            )

    def __repr__(self) -> str:
        return f"PaperBroker(account={self.account_id!r}, ledger={self.ledger_path!r})"

    # --- plumbing ------------------------------------------------------------------

    def _tx(self):
        """One atomic write transaction: all of it lands, or none of it (a context manager giving a cursor); on
        PostgreSQL it holds the account's advisory lock, so replicas placing orders on one account queue."""
        return _Locked(self._lock, self._db.tx(lock=f"ledger:{self.account_id}"))

    def _query(self, sql: str, params: tuple = ()) -> list[Row]:
        """A read under the lock, so it never sees another thread's order half-way through its transaction."""
        with self._lock:
            return self._db.read(sql, params)

    def _query_one(self, sql: str, params: tuple = ()) -> Row | None:
        rows = self._query(sql, params)
        return rows[0] if rows else None

    def audit(self) -> list[str]:
        """Problems found re-deriving the books from the fills (empty when consistent)."""
        with self._lock, self._db.reading() as cur:
            return self._audit(cur)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _price(self, symbol: str) -> Decimal:
        try:
            price = float(self.price_of(symbol))
        except BrokerError:
            raise
        except Exception as exc:
            message = getattr(exc, "user_message", None) or f"{type(exc).__name__}: {exc}"
            raise OrderRejected(f"No current price for {symbol}: {message}") from None
        if not price > 0:
            raise OrderRejected(f"No usable current price for {symbol} (got {price}).")
        return _dec(price)

    # --- reads -----------------------------------------------------------------------

    def account(self) -> Account:
        """Cash, equity and buying power from one consistent read (never a half-applied order; never writes)."""
        with self._lock, self._db.reading() as cur:
            cash = Decimal(cur.execute("SELECT cash FROM accounts WHERE id = ?",
                                       (self.account_id,)).fetchone()["cash"])
            rows = self._position_rows()
            reserved, _ = self._reserved(cur)
        equity = cash + sum((Decimal(str(p.market_value)) for p in self._valued(rows)), ZERO)
        return Account(cash=float(cash), equity=float(equity), buying_power=float(cash - reserved))

    def positions(self) -> list[Position]:
        """Open positions valued at current prices (one consistent read under the lock; never writes)."""
        with self._lock:
            rows = self._position_rows()
        return self._valued(rows)

    def _position_rows(self) -> list[Row]:
        return self._query(
            "SELECT symbol, qty, avg_cost, realized_pl FROM positions WHERE account = ? ORDER BY symbol",
            (self.account_id,),
        )

    def _valued(self, rows: list[Row]) -> list[Position]:
        out = []
        for row in rows:
            qty = Decimal(row["qty"])
            if qty == 0:
                continue
            avg = Decimal(row["avg_cost"])
            try:
                price = self._price(row["symbol"])
            except BrokerError:
                price = avg  # no quote: value at cost rather than fail the whole account view
            out.append(Position(
                symbol=row["symbol"], qty=float(qty), avg_cost=float(avg), current_price=float(price),
                market_value=float(qty * price), unrealized_pl=float((price - avg) * qty),
                realized_pl=float(Decimal(row["realized_pl"])),
            ))
        return out

    def realized_pl(self) -> float:
        rows = self._query("SELECT realized_pl FROM positions WHERE account = ?", (self.account_id,))
        return float(sum((Decimal(r["realized_pl"]) for r in rows), ZERO))

    def orders(self, status: str = "open", limit: int = 50) -> list[Order]:
        """The newest orders with their bracket legs, as one read under the lock (never writes: `sweep()` first
        for fresh fills)."""
        with self._lock:
            if status == "open":
                rows = self._query(
                    f"SELECT * FROM orders WHERE account = ? AND status IN ({','.join('?' * len(OPEN_STATES))}) "
                    f"ORDER BY created_at DESC, {self._then} DESC LIMIT ?",
                    (self.account_id, *OPEN_STATES, limit),
                )
            else:
                rows = self._query(
                    f"SELECT * FROM orders WHERE account = ? ORDER BY created_at DESC, {self._then} DESC LIMIT ?",
                    (self.account_id, limit),
                )
            return [self._order_from_row(r) for r in rows]

    def fills(self) -> list[Fill]:
        rows = self._query(
            "SELECT * FROM fills WHERE account = ? ORDER BY id", (self.account_id,)
        )
        return [Fill(order_id=r["order_id"], symbol=r["symbol"], side=r["side"], qty=float(Decimal(r["qty"])),
                     price=float(Decimal(r["price"])), at=r["at"]) for r in rows]

    def order_by_client_id(self, client_order_id: str) -> Order | None:
        with self._lock:  # the order and its legs from one state
            row = self._query_one(
                "SELECT * FROM orders WHERE account = ? AND client_order_id = ?", (self.account_id, client_order_id)
            )
            return self._order_from_row(row) if row else None

    def order(self, order_id: str) -> Order | None:
        with self._lock:  # the order and its legs from one state
            row = self._query_one(
                "SELECT * FROM orders WHERE account = ? AND id = ?", (self.account_id, order_id)
            )
            return self._order_from_row(row) if row else None

    def asset(self, symbol: str) -> Asset:
        symbol = symbol.upper()
        try:
            self._price(symbol)
            tradable = True
        except BrokerError:
            tradable = False
        return Asset(symbol=symbol, name=symbol, tradable=tradable, fractionable=True, shortable=False,
                     exchange="built-in paper")

    def clock(self) -> Clock:
        return us_equity_clock(self.now())

    def _order_from_row(self, row: Row) -> Order:
        legs = ()
        if row["order_class"] == "bracket" and row["leg"] is None:
            leg_rows = self._query("SELECT * FROM orders WHERE parent_id = ? ORDER BY leg DESC", (row["id"],))
            legs = tuple(self._order_from_row(r) for r in leg_rows)
        return Order(
            id=row["id"], client_order_id=row["client_order_id"], symbol=row["symbol"], side=row["side"],
            type=row["type"], status=row["status"], qty=_f(row["qty"]), notional=_f(row["notional"]),
            limit_price=_f(row["limit_price"]), stop_price=_f(row["stop_price"]),
            filled_qty=float(Decimal(row["filled_qty"])), filled_avg_price=_f(row["filled_avg_price"]),
            order_class=row["order_class"], time_in_force=row["time_in_force"], created_at=row["created_at"],
            legs=legs, reason=row["reason"],
        )

    # --- writes --------------------------------------------------------------------------

    def submit(self, order: OrderRequest) -> Order:
        """Place `order`. A repeated client_order_id returns the first order and changes nothing."""
        existing = self.order_by_client_id(order.client_order_id)
        if existing is not None:
            return existing
        symbol = order.symbol.upper()
        self._validate(order)
        self.sweep()  # resting orders that crossed fill first (they hold reservations)
        price = self._price(symbol)  # fetched before the transaction: no network inside a write lock
        with self._tx() as cur:
            row = cur.execute(
                "SELECT id FROM orders WHERE account = ? AND client_order_id = ?",
                (self.account_id, order.client_order_id),
            ).fetchone()
            if row is not None:  # a concurrent double click won the race
                order_id = row["id"]
            else:
                order_id = self._insert_order(cur, order, symbol, price)
                self._try_fill(cur, order_id, price)
        return self.order(order_id)

    def cancel(self, order_id: str) -> None:
        with self._tx() as cur:
            row = cur.execute(
                "SELECT id, status, parent_id FROM orders WHERE account = ? AND (id = ? OR id LIKE ?)",
                (self.account_id, order_id, f"{order_id}%"),
            ).fetchall()
            if len(row) != 1:
                raise OrderRejected(f"No single order matches {order_id!r} in this account.")
            row = row[0]
            if row["status"] not in OPEN_STATES:
                raise OrderRejected(f"Order {row['id'][:8]} is {row['status']}; only open orders can be canceled.")
            now = self.now().isoformat()
            cur.execute("UPDATE orders SET status = 'canceled', updated_at = ? WHERE id = ?", (now, row["id"]))
            cur.execute(
                "UPDATE orders SET status = 'canceled', updated_at = ? WHERE parent_id = ? "
                "AND status IN ('new', 'triggered')",
                (now, row["id"]),
            )

    def sweep(self) -> None:
        """Fill resting orders whose price has crossed; expire stale day orders."""
        open_rows = self._query(
            f"SELECT id, symbol, time_in_force, trading_date FROM orders WHERE account = ? AND status IN "
            f"({','.join('?' * len(OPEN_STATES))}) ORDER BY created_at, {self._then}",
            (self.account_id, *OPEN_STATES),
        )
        if not open_rows:
            return
        today = trading_date(self.now())
        prices: dict[str, Decimal | None] = {}
        for row in open_rows:
            if row["time_in_force"] == "day" and row["trading_date"] != today:
                with self._tx() as cur:
                    cur.execute(
                        "UPDATE orders SET status = 'expired', updated_at = ? WHERE id = ? "
                        "AND status IN ('new', 'triggered')",
                        (self.now().isoformat(), row["id"]),
                    )
                continue
            if row["symbol"] not in prices:
                try:
                    prices[row["symbol"]] = self._price(row["symbol"])
                except BrokerError:
                    prices[row["symbol"]] = None
            price = prices[row["symbol"]]
            if price is not None:
                with self._tx() as cur:
                    self._try_fill(cur, row["id"], price)


class _Locked:
    """A transaction taken under this broker's lock (reads under the lock never see an order half-way)."""

    def __init__(self, lock: threading.RLock, tx):
        self._lock, self._tx = lock, tx

    def __enter__(self):
        self._lock.acquire()
        try:
            return self._tx.__enter__()
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, *exc):
        try:
            return self._tx.__exit__(*exc)
        finally:
            self._lock.release()
