"""Slash commands: typed by the person, answered by code, never by the model.

Each domain module exposes `commands() -> list[Command]`; `all_commands()`
collects them. A handler receives a `CommandContext` and the words after the
command name, and returns chat items (or a plain string).
"""

from __future__ import annotations

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


def all_commands() -> dict[str, Command]:
    from chat.commands import alerts, analysis, backtest, core, market, trading

    found: dict[str, Command] = {}
    for module in (core, market, trading, backtest, alerts, analysis):  # analysis last: its /news extends market's
        for command in module.commands():
            found[command.name] = command
    return found


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
    rows = "\n".join(f"| `{c.usage}` | {c.summary} |" for c in sorted(commands.values(), key=lambda c: c.name))
    return "**Commands** (answered directly, no AI involved)\n\n| command | what it does |\n|---|---|\n" + rows


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
        return [ChatItem(content=f"{shown} is not a command I know.\n\n" + help_text(commands), kind="error")]
    try:
        return _as_items(command.handler(ctx, words[1:]))
    except CommandError as exc:
        return [ChatItem(content=f"{exc}\n\nUsage: `{command.usage}`", kind="error")]
    except Exception as exc:  # a service failing must not break the chat
        return [ChatItem(content=f"`/{name}` failed: {user_message(exc)}", kind="error")]
