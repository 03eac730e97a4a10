"""Slash commands for the backtest domain (filled in by its issue)."""

from __future__ import annotations

from commands import Command


def commands() -> list[Command]:
    return []
