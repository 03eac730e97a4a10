"""What the desk answers, as data: a ticket card, the outcome of a decision, the portfolio view.

The desk never renders chat; `chat.trading_items` turns these into chat
items for the UI, slash commands and the trader's tools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trading.tickets import Ticket


@dataclass(frozen=True)
class TicketCard:
    """A ticket as the person sees it before deciding: the ticket and its markdown card."""

    ticket: Ticket
    markdown: str

    @property
    def title(self) -> str:
        return f"Order ticket {self.ticket.id}"


@dataclass(frozen=True)
class DeskOutcome:
    """The result of confirm / reject / cancel: whether it went through, the message, the ticket concerned.

    `ok` is False when nothing happened because of a refusal or a failure (the
    message says why and whether a retry is safe). `positions` is the positions
    table after an executed order, when the broker could give it.
    """

    ok: bool
    message: str
    ticket: Ticket | None = None
    title: str | None = None
    positions: str | None = None


@dataclass(frozen=True)
class PortfolioView:
    """Holdings and P&L (markdown), allocation and performance figures (plotly), and notes on what is missing."""

    summary: str
    allocation: Any = None
    performance: Any = None
    benchmark: str = "SPY"
    notes: tuple[str, ...] = field(default_factory=tuple)
