"""Core commands: /help, /status."""

from __future__ import annotations

from chat.commands import Command, all_commands, help_text


def _help(ctx, args):
    return help_text(all_commands())


def _status(ctx, args):
    """Which market-data sources answer now, and each one's budget and last error."""
    market = ctx.runtime.market
    if market is None or not hasattr(market, "health"):
        return "Market data is not available in this app."
    lines = ["**Market data sources** (tried in this order)", ""]
    for h in market.health():
        state = "healthy" if h["healthy"] else (f"resting, next try in {h['retry_in_s']:.0f} s" if h["state"] == "open"
                                                else "being probed")
        budget = f"{h['per_minute']:g} requests/min" if h["per_minute"] else "no limit"
        line = f"- {h['source']}: {state}; budget {budget}"
        if h["last_error"]:
            line += f"; last error: {h['last_error']}"
        lines.append(line)
    return "\n".join(lines)


def commands() -> list[Command]:
    return [Command("help", "/help", "List the commands.", _help),
            Command("status", "/status", "Which market-data sources are healthy right now.", _status)]
