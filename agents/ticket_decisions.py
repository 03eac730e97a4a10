"""A person's decision on an order ticket (Confirm / Reject), traced like a turn.

Called by the UI buttons, the API endpoints and the slash commands' siblings; the
decision runs in the trading desk's own code, which no model output passes through.
"""

from __future__ import annotations

import logging
from typing import Any

from agents.messages import ChatItem
from agents.portfolio_analytics import record_equity
from agents.runner import trace_turn
from agents.trading_items import outcome_items
from trading.broker import BrokerError
from trading.desk import desk_for

log = logging.getLogger(__name__)


def decide_ticket(services: Any, session: Any, decision: str, ticket_id: str, user: str | None) -> list[ChatItem]:
    """Confirm or reject exactly that ticket of `session`'s desk; the decision and its outcome are traced."""
    desk = desk_for(session, services)
    act = desk.confirm if decision == "confirm" else desk.reject
    with trace_turn(services.tracing, session.id, session.user, f"{decision} ticket {ticket_id}", "confirm") as trace:
        outcome = act(ticket_id, user)
        items = outcome_items(outcome)
        trace.set_output("\n".join(str(i.content) for i in items if isinstance(i.content, str))[:2000])
    store = getattr(services, "workspaces", None)
    if decision == "confirm" and outcome.ok and store is not None and session.workspace is not None:
        try:  # a workspace that trades has an equity curve from that day on (the after-close job keeps it going)
            record_equity(desk, store, session.workspace)
        except BrokerError:
            log.warning("equity snapshot after a fill failed", exc_info=True)
    return items
