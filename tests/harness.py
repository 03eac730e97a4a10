"""Shared test wiring: settings from a dict, the app's services against local servers, and turn collection.

Nothing here fakes our code: `local_stack` (standins/stack.py) builds the real services and chat service, with
external services replaced by the 127.0.0.1 servers in standins/ and the LLM by standins.scripted_model.
"""

from __future__ import annotations

from agents.chat import ChatService
from agents.messages import ChatItem
from agents.session import Session
from standins.stack import Stack, local_stack, settings_for

__all__ = ["Stack", "local_stack", "settings_for", "run_turn", "by_id", "final_text"]


def run_turn(chat: ChatService, session: Session, text: str) -> list[list[ChatItem]]:
    """Every snapshot the turn streamed, in order."""
    return [list(snapshot) for snapshot in chat.respond(session, text)]


def by_id(items: list[ChatItem]) -> dict[str, ChatItem]:
    return {item.id: item for item in items if item.id}


def final_text(items: list[ChatItem]) -> str:
    finals = [item for item in items if item.kind == "final"]
    assert finals, f"no final answer in {[(i.kind, str(i.content)[:60]) for i in items]}"
    return str(finals[-1].content)
