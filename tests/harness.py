"""Shared test wiring: settings from a dict, the app's runtime against local servers, and turn collection.

Nothing here fakes our code: `local_stack` (standins/stack.py) builds the real runtime and chat service, with
external services replaced by the 127.0.0.1 servers in standins/ and the LLM by standins.scripted_model.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from chat.messages import ChatItem
from chat.service import ChatService
from chat.session import Session
from core.settings import Settings
from market.client import MarketData
from runtime import Runtime, build_runtime
from standins.stack import Stack, local_stack, settings_for

__all__ = ["Stack", "local_stack", "settings_for", "run_turn", "by_id", "final_text", "runtime_for"]


def runtime_for(settings: Settings, market: MarketData | None = None) -> Runtime:
    """The app's whole runtime for a test that has settings (and maybe its own market data) but no stack: its
    databases go to a fresh temporary folder unless the settings already put them in one."""
    temp = Path(tempfile.gettempdir()).resolve()
    if not Path(settings.data_dir).resolve().is_relative_to(temp):
        settings = dataclasses.replace(settings, data_dir=tempfile.mkdtemp(prefix="smol-runtime-"))
    if not Path(settings.paper_ledger_path).resolve().is_relative_to(temp):  # the ledger and the ticket book too
        ledger = str(Path(settings.data_dir) / "paper_ledger.sqlite3")
        settings = dataclasses.replace(settings, paper_ledger_path=ledger)
    runtime = build_runtime(settings, market=market)
    _open_runtimes.append(runtime)
    return runtime


_open_runtimes: list[Runtime] = []


def close_test_runtimes() -> None:
    """Close the runtimes `runtime_for` built (conftest.py calls it after every test: each holds database files
    open, and a suite that kept them all would pass 1,024 descriptors)."""
    while _open_runtimes:
        _open_runtimes.pop().close()


def run_turn(chat: ChatService, session: Session, text: str) -> list[list[ChatItem]]:
    """Every snapshot the turn streamed, in order."""
    return [list(snapshot) for snapshot in chat.respond(session, text)]


def by_id(items: list[ChatItem]) -> dict[str, ChatItem]:
    return {item.id: item for item in items if item.id}


def final_text(items: list[ChatItem]) -> str:
    finals = [item for item in items if item.kind == "final"]
    assert finals, f"no final answer in {[(i.kind, str(i.content)[:60]) for i in items]}"
    return str(finals[-1].content)
