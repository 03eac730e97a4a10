"""Ticket cards already on the page, brought up to date after a decision (in the chat and on reload).

A card's markdown heading names its ticket ("… · Order ticket T-3F2A"). After Confirm / Reject (under the card, in
the side panel or with /confirm), every card of a decided ticket is rendered again from the desk, so it says what
happened ("Order placed …", "Filled at …", "Rejected", "Expired") and offers no buttons.
"""

from __future__ import annotations

import re
from typing import Any

CARD_HEADING = re.compile(r"^#{2,3} .*Order ticket (T-[0-9A-F]{4})", re.MULTILINE)


def message_text(message: Any) -> str | None:
    """The text of a chat message as the browser sends it back (a dict whose content is a string or a list of
    blocks), or of a `gr.ChatMessage`; None for a chart or a file."""
    content = message.get("content") if isinstance(message, dict) else getattr(message, "content", None)
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [block.get("text") for block in content if isinstance(block, dict) and block.get("type") == "text"]
        return "\n".join(t for t in texts if isinstance(t, str)) if texts else None
    return None


def card_ticket_id(message: Any) -> str | None:
    text = message_text(message)
    found = CARD_HEADING.search(text) if text else None
    return found.group(1) if found else None


def refresh_ticket_cards(history: list, desk) -> list:
    """`history` with each decided ticket's card rendered again (its outcome, no countdown, no options)."""
    out, decided = [], set()
    for message in history:
        ticket_id = card_ticket_id(message)
        ticket = desk.tickets.get(ticket_id, desk.now()) if ticket_id else None
        if ticket is not None and ticket.status != "pending":
            decided.add(ticket.id)
            message = _with(message, content=desk.ticket_card(ticket).markdown)
        options = _options(message)
        if options and decided:
            kept = [o for o in options if not any(t in str(o.get("value", "")) for t in decided)]
            if len(kept) != len(options):
                message = _with(message, options=kept)
        out.append(message)
    return out


def _options(message: Any) -> list:
    options = message.get("options") if isinstance(message, dict) else getattr(message, "options", None)
    return [o for o in options or [] if isinstance(o, dict)]


def _with(message: Any, **changes) -> Any:
    if isinstance(message, dict):
        return {**message, **changes}
    for key, value in changes.items():
        setattr(message, key, value)
    return message
