"""The desk's answers as chat items: ticket cards, decision outcomes, the portfolio view.

The desk (trading/) returns data; this is the one place that turns it into
`ChatItem`s for the UI's Confirm/Reject buttons, the trading slash commands
and the trader's `propose_order` tool.
"""

from __future__ import annotations

from chat.messages import ChatItem, chart
from trading.outcomes import DeskOutcome, PortfolioView, TicketCard
from trading.portfolio_analytics import NO_HISTORY, WorkspaceAnalytics

ANALYTICS_TITLE = "Performance and risk"  # as the figures' own heading says: shown once


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


def analytics_item(result: WorkspaceAnalytics | None, problem: str | None = None) -> ChatItem:
    """The workspace's performance and risk figures (machine-readable in `extra["analytics"]`); a short notice when
    there is no workspace or no equity history yet, or when `problem` says why they could not be computed."""
    if problem is not None:
        return ChatItem(content=f"Unavailable right now ({problem}).", kind="notice", title=ANALYTICS_TITLE)
    if result is None or not result.has_history:
        return ChatItem(content=NO_HISTORY, kind="notice", title=ANALYTICS_TITLE)
    return ChatItem(content=result.markdown(), kind="text", title=ANALYTICS_TITLE,
                    extra={"analytics": result.to_dict()})
