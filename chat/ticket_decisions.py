"""A person's decision on an order ticket (Confirm / Reject), traced like a turn.

Called by the UI buttons, the API endpoints and the slash commands' siblings; the
decision runs in the trading desk's own code, which no model output passes through.
"""

from __future__ import annotations

import logging

from chat.messages import ChatItem
from chat.runner import trace_turn
from chat.session import Session
from chat.trading_items import outcome_items
from runtime import Runtime
from trading.broker import BrokerError
from trading.portfolio_analytics import record_equity

log = logging.getLogger(__name__)


def decide_ticket(runtime: Runtime, session: Session, decision: str, ticket_id: str,
                  user: str | None) -> list[ChatItem]:
    """Confirm or reject exactly that ticket of `session`'s desk; the decision and its outcome are traced."""
    desk = runtime.desks.for_workspace(session.workspace_id, session.user)
    act = desk.confirm if decision == "confirm" else desk.reject
    with trace_turn(runtime.tracing, session.id, session.user, f"{decision} ticket {ticket_id}", "confirm") as trace:
        outcome = act(ticket_id, user)
        items = outcome_items(outcome)
        trace.set_output("\n".join(str(i.content) for i in items if isinstance(i.content, str))[:2000])
    store = runtime.workspaces.store
    if decision == "confirm" and outcome.ok and session.workspace is not None:
        try:  # a workspace that trades has an equity curve from that day on (the after-close job keeps it going)
            record_equity(desk, store, session.workspace)
        except BrokerError:
            log.warning("equity snapshot after a fill failed", exc_info=True)
    return items
