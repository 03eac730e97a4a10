"""Slash commands: typed by the person, answered by code, never by the model.

Each domain module exposes `commands() -> list[Command]`; `all_commands()`
collects them. A handler receives a `CommandContext` and the words after the
command name, and returns chat items (or a plain string).
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chat.messages import ChatItem
from chat.session import Session
from core.errors import UserError, user_message
from core.settings import Settings
from runtime import Runtime
from trading.desk import TradingDesk


class CommandError(UserError, ValueError):
    """A command was used wrongly; the message tells the person how to use it."""


@dataclass
class CommandContext:
    session: Session
    runtime: Runtime

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def desk(self) -> TradingDesk:
        """The desk of the session's workspace."""
        return self.runtime.desks.for_workspace(self.session.workspace_id, self.session.user)


@dataclass(frozen=True)
class Command:
    name: str  # without the slash
    usage: str  # e.g. "/quote SYMBOL"
    summary: str
    handler: Callable[[CommandContext, list[str]], Any]


GROUPS = ("market", "analysis", "trading", "lab", "alerts", "workspace")  # /help's sections, in this order
_GROUP_OF_MODULE = {"market": "market", "analysis": "analysis", "trading": "trading", "backtest": "lab",
                    "alerts": "alerts", "core": "workspace"}
_groups: dict[str, str] = {}  # command name -> its /help section (filled by all_commands)


def all_commands() -> dict[str, Command]:
    from chat.commands import alerts, analysis, backtest, core, market, trading

    found: dict[str, Command] = {}
    for module in (core, market, trading, backtest, alerts, analysis):  # analysis last: its /news extends market's
        group = _GROUP_OF_MODULE[module.__name__.rsplit(".", 1)[-1]]
        for command in module.commands():
            found[command.name] = command
            _groups[command.name] = group
    return found


def group_of(command: Command) -> str:
    return _groups.get(command.name, "workspace")


def is_command(text: str) -> bool:
    return text.lstrip().startswith("/")


def _as_items(result: Any) -> list[ChatItem]:
    if result is None:
        return []
    if isinstance(result, ChatItem):
        return [result]
    if isinstance(result, str):
        return [ChatItem(content=result, kind="text")]
    return [item if isinstance(item, ChatItem) else ChatItem(content=item) for item in result]


def help_text(commands: dict[str, Command]) -> str:
    """The commands grouped by what they are for, one line each (a list, so a `|` in a usage never breaks it)."""
    lines = ["**Commands** (answered directly, no AI involved)"]
    for group in GROUPS:
        members = sorted((c for c in commands.values() if group_of(c) == group), key=lambda c: c.name)
        if members:
            lines += ["", f"**{group.capitalize()}**", ""]
            lines += [f"- `{_code(c.usage)}` — {c.summary}" for c in members]
    return "\n".join(lines)


def _code(text: str) -> str:
    return text.replace("`", "'")


def closest(name: str, commands: dict[str, Command]) -> str | None:
    """The known command nearest to a mistyped `name` (difflib), or None when nothing is close."""
    found = difflib.get_close_matches(name, list(commands), n=1, cutoff=0.6)
    if not found and name:
        found = sorted(c for c in commands if c.startswith(name[:3]))[:1]
    return found[0] if found else None


def dispatch(text: str, ctx: CommandContext, commands: dict[str, Command] | None = None) -> list[ChatItem]:
    """Run the slash command in `text`. Errors become clear chat messages."""
    commands = all_commands() if commands is None else commands
    try:
        words = shlex.split(text.strip())
    except ValueError:
        words = text.strip().split()
    name = words[0][1:].lower() if words else ""
    command = commands.get(name)
    if command is None:
        shown = f"`/{name}`" if name else "An empty command"
        near = closest(name, commands) if name else None
        hint = (f" Did you mean `{commands[near].usage}`? {commands[near].summary}" if near
                else " Type `/help` for the list.")
        return [ChatItem(content=f"{shown} is not a command I know.{hint}", kind="error")]
    try:
        return _as_items(command.handler(ctx, words[1:]))
    except CommandError as exc:
        return [ChatItem(content=f"{exc}\n\nUsage: `{command.usage}`", kind="error")]
    except Exception as exc:  # a service failing must not break the chat
        return [ChatItem(content=f"`/{name}` failed: {user_message(exc)}", kind="error")]
