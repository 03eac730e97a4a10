"""Order tickets: a proposed order waiting for the person's Confirm, with an expiry.

A ticket freezes the exact `OrderRequest` (including its `client_order_id`) at
proposal time; confirming executes that object and nothing else. Tickets are
kept in the database (the `tickets` table of the paper ledger file, or of the
shared PostgreSQL database with DATABASE_URL, through `core.db`), one book per
workspace and broker account, so a restart keeps pending tickets (they still
expire) and the decided ones (they stay decided).
An id from another workspace or account is simply unknown.

Every change of status is a compare-and-set in the database: a ticket is
claimed (`pending` -> `executing`) by exactly one confirmation, however many
tabs, desks or processes press Confirm at once.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from pathlib import Path

from core.db import Database, IntegrityError, Row
from core.errors import UserError
from trading.broker import Order, OrderRequest
from trading.risk import RiskCheck, RiskReport

PENDING = "pending"
EXECUTING = "executing"
EXECUTED = "executed"
REJECTED = "rejected"  # the person said no
REFUSED = "refused"  # the risk gate or the access check said no at confirmation
FAILED = "failed"  # the broker said no
EXPIRED = "expired"

STALE_CLAIM_S = 120  # an `executing` claim this old was left by a crash: the desk reconciles it with the broker



@dataclass
class Ticket:
    id: str
    order: OrderRequest
    risk: RiskReport
    created_at: datetime
    expires_at: datetime
    status: str = PENDING
    result: Order | None = None
    error: str = ""
    history: list[str] = field(default_factory=list)
    claim: str | None = field(default=None, repr=False)  # the token of the confirmation executing it
    claimed_at: datetime | None = field(default=None, repr=False)

    @property
    def client_order_id(self) -> str:
        return self.order.client_order_id

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def claim_is_stale(self, now: datetime) -> bool:
        """True when it has been `executing` for longer than any confirmation takes (its process died)."""
        return (self.status == EXECUTING and self.claimed_at is not None
                and now - self.claimed_at >= timedelta(seconds=STALE_CLAIM_S))

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "status": self.status,
            "order": self.order.to_dict(),
            "client_order_id": self.client_order_id,
            "description": self.order.describe(),
            "risk": self.risk.to_dict(),
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "result": None if self.result is None else {
                "id": self.result.id, "status": self.result.status, "filled_qty": self.result.filled_qty,
                "filled_avg_price": self.result.filled_avg_price,
            },
            "error": self.error,
        }


class TicketLimitError(UserError):
    """A workspace already holds as many pending tickets as it may (TICKETS_MAX_PENDING)."""


def too_many_pending(waiting: int, limit: int) -> str:
    return (f"{waiting} order tickets are already awaiting your decision, the most one workspace may hold is "
            f"{limit}. Confirm or reject some of them first (or let them expire); no new ticket was filed.")


class TicketBook:
    """The tickets of one workspace on one broker account, by id, in SQLite. Thread-safe; one connection.

    `get` returns the same `Ticket` object for an id on every call, refreshed from the database, so a
    ticket held by a caller shows decisions made elsewhere (another desk or process) once it is read again.
    """

    def __init__(self, path: str | Path, *, workspace: str, account: str, ttl_s: float):
        self.path = str(path)
        self.workspace, self.account = workspace, account
        self.ttl = timedelta(seconds=ttl_s)
        self._lock = threading.RLock()
        self._db = Database(self.path, synchronous="FULL")
        self._tickets: dict[str, Ticket] = {}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- reads ---------------------------------------------------------------------------------

    def create(self, order: OrderRequest, risk: RiskReport, now: datetime, max_pending: int | None = None) -> Ticket:
        """File a pending ticket; `TicketLimitError` when the book already holds `max_pending` unexpired pending ones
        (counted in the same transaction as the insert, so parallel proposals cannot pass it together)."""
        ticket = Ticket(id=_new_id(), order=order, risk=risk, created_at=now, expires_at=now + self.ttl)
        for _ in range(1000):
            try:
                with self._tx() as cur:
                    if max_pending is not None:
                        waiting = cur.execute(
                            "SELECT COUNT(*) FROM tickets WHERE workspace = ? AND account = ? AND status = ? "
                            "AND expires_at > ?", (self.workspace, self.account, PENDING, now.isoformat()),
                        ).fetchone()[0]
                        if waiting >= max_pending:
                            raise TicketLimitError(too_many_pending(waiting, max_pending))
                    cur.execute(
                        "INSERT INTO tickets (workspace, account, id, status, order_json, risk_json, created_at, "
                        "expires_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (self.workspace, self.account, ticket.id, PENDING, json.dumps(order.to_dict()),
                         _risk_json(risk), now.isoformat(), ticket.expires_at.isoformat(), now.isoformat()))
                    self._tickets[ticket.id] = ticket  # under the lock: every read of this id gets this object
                return ticket
            except IntegrityError:  # that id is taken in this book: draw another
                ticket.id = _new_id()
        raise UserError("This workspace has too many order tickets to open another one.")

    def get(self, ticket_id: str, now: datetime) -> Ticket | None:
        """The ticket (its status updated to expired when due), or None when this book has no such id."""
        with self._lock:
            row = self._db.one("SELECT * FROM tickets WHERE workspace = ? AND account = ? AND id = ?",
                               (self.workspace, self.account, normalise_ticket_id(ticket_id)))
            ticket = None if row is None else self._from_row(row)
        if ticket is not None and ticket.status == PENDING and ticket.is_expired(now):
            self.update(ticket, PENDING, status=EXPIRED)
        return ticket

    def pending(self, now: datetime) -> list[Ticket]:
        with self._lock:
            ids = [r["id"] for r in self._db.read(
                "SELECT id FROM tickets WHERE workspace = ? AND account = ? AND status = ? ORDER BY created_at",
                (self.workspace, self.account, PENDING))]
        return [t for t in (self.get(i, now) for i in ids) if t is not None and t.status == PENDING]

    def version(self) -> str:
        """Changes whenever a ticket of this account is created or changes status (a decision, an expiry read, a
        fill): one indexed read, for pages polling whether the account may have changed."""
        with self._lock:
            [row] = self._db.read("SELECT COUNT(*) AS n, MAX(updated_at) AS latest FROM tickets "
                                  "WHERE workspace = ? AND account = ?", (self.workspace, self.account))
        return f"{row['n']}:{row['latest'] or ''}"

    def all(self) -> list[Ticket]:
        with self._lock:
            rows = self._db.read("SELECT * FROM tickets WHERE workspace = ? AND account = ? "
                                 "ORDER BY created_at", (self.workspace, self.account))
            return [self._from_row(r) for r in rows]

    # --- changes: each one a compare-and-set on the status ---------------------------------------

    def claim(self, ticket: Ticket, now: datetime) -> bool:
        """`pending` -> `executing` for this confirmation only; False (the ticket refreshed) when another won."""
        return self.update(ticket, PENDING, status=EXECUTING, claim=uuid.uuid4().hex, claimed_at=now)

    def update(self, ticket: Ticket, expected: str, **changes) -> bool:
        """Apply `changes` (status, risk, result, error, claim, claimed_at) if the stored status is still
        `expected` (and, for an `executing` ticket, still this object's claim). On a mismatch nothing is written
        and `ticket` is refreshed from the database."""
        changed = {**{f.name: getattr(ticket, f.name) for f in fields(Ticket)}, **changes}
        if changed["status"] != EXECUTING:
            changed["claim"], changed["claimed_at"] = None, None
        with self._tx() as cur:
            where = "workspace = ? AND account = ? AND id = ? AND status = ?"
            params: tuple = (self.workspace, self.account, ticket.id, expected)
            if expected == EXECUTING:
                where += " AND claim IS NOT DISTINCT FROM ?"
                params += (ticket.claim,)
            result = changed["result"]
            cur.execute(
                "UPDATE tickets SET status = ?, risk_json = ?, result_json = ?, error = ?, claim = ?, claimed_at = ?, "
                f"updated_at = ? WHERE {where}",
                (changed["status"], _risk_json(changed["risk"]),
                 None if result is None else json.dumps(asdict(result)), changed["error"], changed["claim"],
                 None if changed["claimed_at"] is None else changed["claimed_at"].isoformat(),
                 datetime.now(ticket.created_at.tzinfo).isoformat(), *params))
            won = cur.rowcount == 1
            row = cur.execute("SELECT * FROM tickets WHERE workspace = ? AND account = ? AND id = ?",
                              (self.workspace, self.account, ticket.id)).fetchone()
        if row is not None:
            with self._lock:
                self._from_row(row)
        return won

    def note(self, ticket: Ticket, line: str) -> None:
        """Add a line to the ticket's history (who confirmed or rejected it, a refused access check)."""
        with self._tx() as cur:
            row = cur.execute("SELECT history_json FROM tickets WHERE workspace = ? AND account = ? AND id = ?",
                              (self.workspace, self.account, ticket.id)).fetchone()
            history = [*json.loads(row["history_json"]), line] if row is not None else [*ticket.history, line]
            cur.execute("UPDATE tickets SET history_json = ? WHERE workspace = ? AND account = ? AND id = ?",
                        (json.dumps(history), self.workspace, self.account, ticket.id))
        ticket.history[:] = history

    # --- plumbing ------------------------------------------------------------------------------

    @contextmanager
    def _tx(self):
        with self._lock, self._db.tx() as cur:
            yield cur

    def _from_row(self, row: Row) -> Ticket:
        """The one object for this id, its changing fields set from `row` (call under the lock)."""
        ticket = self._tickets.get(row["id"])
        if ticket is None:
            ticket = self._tickets[row["id"]] = Ticket(
                id=row["id"], order=OrderRequest(**json.loads(row["order_json"])),
                risk=_risk_from(row["risk_json"]), created_at=datetime.fromisoformat(row["created_at"]),
                expires_at=datetime.fromisoformat(row["expires_at"]))
        ticket.status, ticket.error = row["status"], row["error"]
        ticket.risk = _risk_from(row["risk_json"])
        ticket.result = None if row["result_json"] is None else _order_from(json.loads(row["result_json"]))
        ticket.history[:] = json.loads(row["history_json"])
        ticket.claim = row["claim"]
        ticket.claimed_at = None if row["claimed_at"] is None else datetime.fromisoformat(row["claimed_at"])
        return ticket


def delete_tickets(path: str | Path, workspace: str) -> None:
    """Remove every ticket of a workspace, on every account (the person deleted their workspace)."""
    if "://" not in str(path) and str(path) != ":memory:" and not Path(path).exists():
        return
    db = Database(path, synchronous="FULL")
    try:
        with db.tx() as cur:
            cur.execute("DELETE FROM tickets WHERE workspace = ?", (workspace,))
    finally:
        db.close()


def _risk_json(risk: RiskReport) -> str:
    return json.dumps(asdict(risk))


def _risk_from(text: str) -> RiskReport:
    data = json.loads(text)
    return RiskReport(checks=tuple(RiskCheck(**c) for c in data["checks"]), est_price=data["est_price"],
                      est_qty=data["est_qty"], est_cost=data["est_cost"], pct_of_equity=data["pct_of_equity"],
                      last_price=data.get("last_price", 0.0), fills_at_market=data.get("fills_at_market", False))


def _order_from(data: dict) -> Order:
    known = {f.name for f in fields(Order)}
    values = {k: v for k, v in data.items() if k in known}
    values["legs"] = tuple(_order_from(leg) for leg in data.get("legs") or ())
    return Order(**values)


def _new_id() -> str:
    return "T-" + secrets.token_hex(2).upper()


def normalise_ticket_id(text: str) -> str:
    """'t-3f2a', '3F2A' and 'T-3F2A' all name the same ticket."""
    text = (text or "").strip().upper()
    return text if text.startswith("T-") else f"T-{text}"
