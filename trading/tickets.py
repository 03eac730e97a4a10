"""Order tickets: a proposed order waiting for the person's Confirm, with an expiry.

A ticket freezes the exact `OrderRequest` (including its `client_order_id`) at
proposal time; confirming executes that object and nothing else. Tickets live
in one session's `TicketBook`, so an id from another session is simply unknown.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from trading.broker import Order, OrderRequest
from trading.risk import RiskReport

PENDING = "pending"
EXECUTING = "executing"
EXECUTED = "executed"
REJECTED = "rejected"  # the person said no
REFUSED = "refused"  # the risk gate or the access check said no at confirmation
FAILED = "failed"  # the broker said no
EXPIRED = "expired"


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

    @property
    def client_order_id(self) -> str:
        return self.order.client_order_id

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

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


class TicketBook:
    """One session's tickets, by id. Thread-safe."""

    def __init__(self, ttl_s: float):
        self.ttl = timedelta(seconds=ttl_s)
        self._tickets: dict[str, Ticket] = {}
        self._lock = threading.Lock()

    def create(self, order: OrderRequest, risk: RiskReport, now: datetime) -> Ticket:
        with self._lock:
            ticket_id = _new_id()
            while ticket_id in self._tickets:
                ticket_id = _new_id()
            ticket = Ticket(id=ticket_id, order=order, risk=risk, created_at=now, expires_at=now + self.ttl)
            self._tickets[ticket_id] = ticket
            return ticket

    def get(self, ticket_id: str, now: datetime) -> Ticket | None:
        """The ticket (its status updated to expired when due), or None when this session has no such id."""
        key = normalise_ticket_id(ticket_id)
        with self._lock:
            ticket = self._tickets.get(key)
        if ticket is not None and ticket.status == PENDING and ticket.is_expired(now):
            ticket.status = EXPIRED
        return ticket

    def pending(self, now: datetime) -> list[Ticket]:
        with self._lock:
            tickets = list(self._tickets.values())
        return [t for t in tickets if self.get(t.id, now) is not None and t.status == PENDING]

    def all(self) -> list[Ticket]:
        with self._lock:
            return list(self._tickets.values())


def _new_id() -> str:
    return "T-" + secrets.token_hex(2).upper()


def normalise_ticket_id(text: str) -> str:
    """'t-3f2a', '3F2A' and 'T-3F2A' all name the same ticket."""
    text = (text or "").strip().upper()
    return text if text.startswith("T-") else f"T-{text}"
