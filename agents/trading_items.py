"""The desk's answers as chat items: ticket cards, decision outcomes, the portfolio view.

The desk (trading/) returns data; this is the one place that turns it into
`ChatItem`s for the UI's Confirm/Reject buttons, the trading slash commands
and the trader's `propose_order` tool.
"""

from __future__ import annotations

from agents.messages import ChatItem, chart
from trading.outcomes import DeskOutcome, PortfolioView, TicketCard


def ticket_item(card: TicketCard) -> ChatItem:
    return ChatItem(content=card.markdown, kind="ticket", title=card.title, extra={"ticket": card.ticket.to_dict()})


def outcome_items(outcome: DeskOutcome) -> list[ChatItem]:
    """An error item when nothing happened, else a notice; after an execution also the positions table."""
    extra = {"ticket": outcome.ticket.to_dict()} if outcome.ticket is not None else {}
    kind = "notice" if outcome.ok else "error"
    items = [ChatItem(content=outcome.message, kind=kind, title=outcome.title, extra=extra)]
    if outcome.positions is not None:
        items.append(ChatItem(content=outcome.positions, kind="text", title="Positions"))
    return items


def portfolio_items(view: PortfolioView) -> list[ChatItem]:
    """Holdings text, then the allocation and performance charts, then notes on what is missing."""
    items = [ChatItem(content=view.summary, kind="text", title="Holdings")]
    if view.allocation is not None:
        items.append(chart(view.allocation, title="Allocation"))
    if view.performance is not None:
        items.append(chart(view.performance, title=f"Performance vs {view.benchmark}"))
    items += [ChatItem(content=note, kind="notice") for note in view.notes]
    return items
