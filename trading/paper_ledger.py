"""The paper ledger's tables and its rules (reservations, fills, bracket legs, audit).

`LedgerRules` is the part of `trading.paper.PaperBroker` that runs inside a write
transaction: every method takes the transaction's cursor. Amounts are exact decimals
stored as TEXT.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from core.db import Cursor, Database, Row
from trading.broker import (
    ORDER_TYPES,
    SIDES,
    TIMES_IN_FORCE,
    InsufficientFunds,
    OrderRejected,
    OrderRequest,
)
from trading.market_hours import trading_date

ZERO = Decimal(0)
QTY_STEP = Decimal("0.000000001")
OPEN_STATES = ("new", "triggered")



def _dec(value: float | str | Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _f(value: str | None) -> float | None:
    return None if value is None else float(Decimal(value))


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _s(value: float | None) -> str | None:
    return None if value is None else str(_dec(value))


def delete_paper_account(ledger: str | Path, account_id: str) -> None:
    """Remove one account and everything it did from the ledger (the person deleted their workspace)."""
    if "://" not in str(ledger) and str(ledger) != ":memory:" and not Path(ledger).exists():
        return
    db = Database(ledger, synchronous="FULL")
    try:
        with db.tx(lock=f"ledger:{account_id}") as cur:
            for table, column in (("fills", "account"), ("orders", "account"), ("positions", "account"),
                                  ("accounts", "id")):
                cur.execute(f"DELETE FROM {table} WHERE {column} = ?", (account_id,))
    finally:
        db.close()


class LedgerRules:
    """Order rules of the built-in paper broker; mixed into `PaperBroker` (needs account_id, now, _db)."""

    account_id: str
    _db: Database

    # --- the ledger rules ------------------------------------------------------------------

    def _validate(self, order: OrderRequest) -> None:
        if order.side not in SIDES:
            raise OrderRejected(f"Side must be buy or sell, not {order.side!r}.")
        if order.type not in ORDER_TYPES:
            raise OrderRejected(f"Order type must be one of {', '.join(ORDER_TYPES)}, not {order.type!r}.")
        if order.time_in_force not in TIMES_IN_FORCE:
            raise OrderRejected(f"Time in force must be day or gtc, not {order.time_in_force!r}.")
        if (order.qty is None) == (order.notional is None):
            raise OrderRejected("Give either a share quantity or a dollar amount (notional), not both.")
        amount = order.qty if order.qty is not None else order.notional
        if not amount > 0:
            raise OrderRejected("The quantity must be positive.")
        if order.notional is not None and order.type != "market":
            raise OrderRejected("Dollar-amount (notional) orders must be market orders.")
        if order.type in ("limit", "stop_limit") and not (order.limit_price and order.limit_price > 0):
            raise OrderRejected(f"A {order.type} order needs a positive limit price.")
        if order.type in ("stop", "stop_limit") and not (order.stop_price and order.stop_price > 0):
            raise OrderRejected(f"A {order.type} order needs a positive stop price.")
        if order.is_bracket:
            if order.side != "buy":
                raise OrderRejected("The built-in paper broker takes bracket orders on buys only (no shorting).")
            if order.take_profit is None or order.stop_loss is None:
                raise OrderRejected("A bracket order needs both a take-profit and a stop-loss price.")
            if not 0 < order.stop_loss < order.take_profit:
                raise OrderRejected("For a bracket buy the stop-loss must be below the take-profit.")

    def _reserved(self, cur: Cursor) -> tuple[Decimal, dict[str, Decimal]]:
        """Cash held by open buy orders, and shares held by open sell orders (an OCO pair counts once)."""
        cash = ZERO
        shares: dict[str, Decimal] = {}
        rows = cur.execute(
            "SELECT side, symbol, type, qty, limit_price, stop_price, leg FROM orders "
            "WHERE account = ? AND status IN "
            f"({','.join('?' * len(OPEN_STATES))})",
            (self.account_id, *OPEN_STATES),
        ).fetchall()
        for r in rows:
            qty = Decimal(r["qty"])
            if r["side"] == "buy":
                cash += qty * Decimal(r["limit_price"] or r["stop_price"] or "0")
            elif r["leg"] != "stop_loss":
                shares[r["symbol"]] = shares.get(r["symbol"], ZERO) + qty
        return cash, shares

    def _cash_and_position(self, cur: Cursor, symbol: str) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        cash = Decimal(cur.execute("SELECT cash FROM accounts WHERE id = ?", (self.account_id,)).fetchone()["cash"])
        pos = cur.execute(
            "SELECT qty, avg_cost, realized_pl FROM positions WHERE account = ? AND symbol = ?",
            (self.account_id, symbol),
        ).fetchone()
        if pos is None:
            return cash, ZERO, ZERO, ZERO
        return cash, Decimal(pos["qty"]), Decimal(pos["avg_cost"]), Decimal(pos["realized_pl"])

    def _insert_order(self, cur: Cursor, order: OrderRequest, symbol: str, price: Decimal) -> str:
        if order.notional is not None:
            qty = (_dec(order.notional) / price).quantize(QTY_STEP, rounding=ROUND_DOWN)
            if qty <= 0:
                raise OrderRejected(f"${order.notional} buys no {symbol} at {price}.")
        else:
            qty = _dec(order.qty)
        cash, held, _, _ = self._cash_and_position(cur, symbol)
        reserved_cash, reserved_shares = self._reserved(cur)
        if order.side == "buy":
            worst = {"market": price, "limit": _dec(order.limit_price),
                     "stop": max(price, _dec(order.stop_price or 0)),
                     "stop_limit": _dec(order.limit_price)}[order.type]
            needed = qty * worst
            available = cash - reserved_cash
            if needed > available:
                raise InsufficientFunds(
                    f"Insufficient buying power: this order needs ${needed:,.2f}, the paper account has "
                    f"${available:,.2f} available.")
        else:
            available_shares = held - reserved_shares.get(symbol, ZERO)
            if qty > available_shares:
                raise InsufficientFunds(
                    f"Insufficient shares: selling {qty.normalize():f} {symbol} but {available_shares.normalize():f} "
                    "are available (the built-in paper broker does not short).")
        now = self.now()
        order_id = str(uuid.uuid4())
        cur.execute(
            "INSERT INTO orders (id, account, client_order_id, symbol, side, type, qty, notional, limit_price, "
            "stop_price, "
            "take_profit, stop_loss, time_in_force, order_class, parent_id, leg, status, trading_date, "
            "created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 'new', ?, ?, ?)",
            (order_id, self.account_id, order.client_order_id, symbol, order.side, order.type, str(qty),
             _s(order.notional), _s(order.limit_price), _s(order.stop_price), _s(order.take_profit),
             _s(order.stop_loss), order.time_in_force, "bracket" if order.is_bracket else "simple",
             trading_date(now), now.isoformat(), now.isoformat()),
        )
        return order_id

    def _try_fill(self, cur: Cursor, order_id: str, price: Decimal) -> None:
        """Fill the order at `price` if it is open and its trigger/limit is crossed."""
        row = cur.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
        if row is None or row["status"] not in OPEN_STATES:
            return
        buy = row["side"] == "buy"
        limit = _dec(row["limit_price"])
        stop = _dec(row["stop_price"])
        kind = row["type"]
        if kind in ("stop", "stop_limit") and row["status"] == "new":
            if not (price >= stop if buy else price <= stop):
                return
            if kind == "stop_limit":
                cur.execute("UPDATE orders SET status = 'triggered', updated_at = ? WHERE id = ?",
                            (self.now().isoformat(), order_id))
        if kind in ("limit", "stop_limit") and not (price <= limit if buy else price >= limit):
            return
        self._fill(cur, row, price)

    def _fill(self, cur: Cursor, row: Row, price: Decimal) -> None:
        symbol, qty, now = row["symbol"], Decimal(row["qty"]), self.now().isoformat()
        cash, held, avg, realized = self._cash_and_position(cur, symbol)
        if row["side"] == "buy":
            cost = qty * price
            if cost > cash:
                cur.execute("UPDATE orders SET status = 'rejected', reason = ?, updated_at = ? WHERE id = ?",
                            (f"insufficient cash at fill (${cost:,.2f} needed)", now, row["id"]))
                return
            new_qty = held + qty
            avg = (held * avg + cost) / new_qty
            cash -= cost
        else:
            if qty > held:
                cur.execute("UPDATE orders SET status = 'rejected', reason = ?, updated_at = ? WHERE id = ?",
                            (f"only {held.normalize():f} shares held at fill", now, row["id"]))
                return
            new_qty = held - qty
            realized += (price - avg) * qty
            cash += qty * price
        cur.execute("UPDATE accounts SET cash = ? WHERE id = ?", (str(cash), self.account_id))
        cur.execute(
            "INSERT INTO positions (account, symbol, qty, avg_cost, realized_pl) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (account, symbol) DO UPDATE SET qty = excluded.qty, avg_cost = excluded.avg_cost, "
            "realized_pl = excluded.realized_pl",
            (self.account_id, symbol, str(new_qty), str(avg), str(realized)),
        )
        cur.execute(
            "INSERT INTO fills (account, order_id, symbol, side, qty, price, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.account_id, row["id"], symbol, row["side"], str(qty), str(price), now),
        )
        cur.execute(
            "UPDATE orders SET status = 'filled', filled_qty = ?, filled_avg_price = ?, updated_at = ? WHERE id = ?",
            (str(qty), str(price), now, row["id"]),
        )
        if row["order_class"] == "bracket" and row["leg"] is None:
            self._open_bracket_legs(cur, row, qty)
        if row["parent_id"] is not None:  # one leg of an OCO pair filled: cancel the other
            cur.execute(
                "UPDATE orders SET status = 'canceled', reason = 'other bracket leg filled', updated_at = ? "
                "WHERE parent_id = ? AND id != ? AND status IN ('new', 'triggered')",
                (now, row["parent_id"], row["id"]),
            )

    def _open_bracket_legs(self, cur: Cursor, parent: Row, qty: Decimal) -> None:
        now = self.now()
        for leg, kind, limit, stop in (
            ("take_profit", "limit", parent["take_profit"], None),
            ("stop_loss", "stop", None, parent["stop_loss"]),
        ):
            cur.execute(
                "INSERT INTO orders (id, account, client_order_id, symbol, side, type, qty, notional, limit_price, "
                "stop_price, take_profit, stop_loss, time_in_force, order_class, parent_id, leg, status, "
                "trading_date, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, 'sell', ?, ?, NULL, ?, ?, NULL, NULL, 'gtc', "
                "'bracket', ?, ?, "
                "'new', ?, ?, ?)",
                (str(uuid.uuid4()), self.account_id, f"{parent['client_order_id']}-{leg}", parent["symbol"], kind,
                 str(qty), limit, stop, parent["id"], leg, trading_date(now), now.isoformat(), now.isoformat()),
            )

    # --- audit ------------------------------------------------------------------------------

    def _audit(self, cur: Cursor) -> list[str]:
        """Problems found re-deriving the books from the fills (empty when consistent)."""
        problems = []
        acct = cur.execute("SELECT cash, starting_cash FROM accounts WHERE id = ?",
                                  (self.account_id,)).fetchone()
        cash = Decimal(acct["starting_cash"])
        qty: dict[str, Decimal] = {}
        for r in cur.execute("SELECT side, symbol, qty, price FROM fills WHERE account = ?",
                                    (self.account_id,)):
            q, p = Decimal(r["qty"]), Decimal(r["price"])
            sign = 1 if r["side"] == "buy" else -1
            cash -= sign * q * p
            qty[r["symbol"]] = qty.get(r["symbol"], ZERO) + sign * q
            if qty[r["symbol"]] < 0:
                problems.append(f"{r['symbol']} went negative in the fill history")
        if Decimal(acct["cash"]) != cash:
            problems.append(f"cash {acct['cash']} != starting cash minus buys plus sells {cash}")
        if Decimal(acct["cash"]) < 0:
            problems.append(f"cash is negative: {acct['cash']}")
        held = {r["symbol"]: Decimal(r["qty"]) for r in cur.execute(
            "SELECT symbol, qty FROM positions WHERE account = ?", (self.account_id,))}
        for symbol in set(qty) | set(held):
            if held.get(symbol, ZERO) != qty.get(symbol, ZERO):
                problems.append(f"{symbol}: position {held.get(symbol, ZERO)} != fills {qty.get(symbol, ZERO)}")
        for r in cur.execute(
            "SELECT o.id, o.status, o.filled_qty, (SELECT COUNT(*) FROM fills f WHERE f.order_id = o.id) AS n "
            "FROM orders o WHERE o.account = ?", (self.account_id,)
        ):
            if (r["status"] == "filled") != (r["n"] == 1):
                problems.append(f"order {r['id'][:8]} is {r['status']} with {r['n']} fills")
        return problems

