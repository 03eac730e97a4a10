"""A person's decision on an order ticket (Confirm / Reject), traced like a turn.

Called by the UI buttons, the API endpoints and the slash commands' siblings; the
decision runs in the trading desk's own code, which no model output passes through.
"""

from __future__ import annotations

from typing import Any

from agents.messages import ChatItem
from agents.runner import trace_turn
from agents.trading_items import outcome_items
from trading.desk import desk_for


def decide_ticket(services: Any, session: Any, decision: str, ticket_id: str, user: str | None) -> list[ChatItem]:
    """Confirm or reject exactly that ticket of `session`'s desk; the decision and its outcome are traced."""
    desk = desk_for(session, services)
    act = desk.confirm if decision == "confirm" else desk.reject
    with trace_turn(services.tracing, session.id, session.user, f"{decision} ticket {ticket_id}", "confirm") as trace:
        items = outcome_items(act(ticket_id, user))
        trace.set_output("\n".join(str(i.content) for i in items if isinstance(i.content, str))[:2000])
    return items
