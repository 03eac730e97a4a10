"""Core commands: /help."""

from __future__ import annotations

from commands import Command, all_commands, help_text


def _help(ctx, args):
    return help_text(all_commands())


def commands() -> list[Command]:
    return [Command("help", "/help", "List the commands.", _help)]
