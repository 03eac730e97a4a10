"""Scheduled briefs: when each is due (exchange time) and the deterministic brief text.

`/brief daily HH:MM` runs on every trading session day at HH:MM exchange time; `/brief weekly [DAY] [HH:MM]`
once a week (default Monday 08:30). A brief covers the watchlist and the positions: price and day move, RSI(14)
and the SMA(50) side, alerts fired since the last brief, and headlines marked as untrusted web content. An
optional `commentary(workspace, text) -> str | None` hook (a model, when one is configured and the budget
allows) adds a short note on top; without it the brief is complete as is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from alerts.rules import AlertInputError
from alerts.store import Brief, utc_text

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BRIEF_USAGE = "`/brief daily HH:MM`, `/brief weekly [mon…sun] [HH:MM]`, `/brief now`, `/brief delete ID`"
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_schedule(words: list[str]) -> tuple[str, str, int | None]:
    """(cadence, "HH:MM", weekday) from `daily 08:30` or `weekly fri 17:00`."""
    if not words or words[0].lower() not in ("daily", "weekly"):
        raise AlertInputError(f"Write a brief schedule as {BRIEF_USAGE}.")
    cadence, rest = words[0].lower(), [w.lower() for w in words[1:]]
    weekday = None
    if cadence == "weekly":
        weekday = 0
        if rest and rest[0][:3] in DAYS:
            weekday = DAYS.index(rest.pop(0)[:3])
    if len(rest) > 1:
        raise AlertInputError(f"Too many words for a brief schedule: {BRIEF_USAGE}.")
    at = rest[0] if rest else "08:30"
    match = _HHMM.match(at)
    if not match:
        raise AlertInputError(f"{at!r} is not a time like 08:30 (24-hour clock, exchange time).")
    return cadence, f"{int(match.group(1)):02d}:{match.group(2)}", weekday


def latest_slot(brief: Brief, now: datetime, tz, is_session: Callable[[date], bool]) -> datetime | None:
    """The most recent scheduled moment at or before `now` (exchange time zone), or None in the last 8 days."""
    local = now.astimezone(tz)
    hour, minute = map(int, brief.at.split(":"))
    for back in range(8):
        day = local.date() - timedelta(days=back)
        slot = datetime.combine(day, time(hour, minute), tz)
        if slot > local:
            continue
        if brief.cadence == "weekly" and day.weekday() != brief.weekday:
            continue
        if brief.cadence == "daily" and not is_session(day):
            continue
        return slot
    return None


CATCH_UP = timedelta(hours=1)  # a slot missed while the app was down still runs within this time, not later


def due_slot(brief: Brief, created: str, now: datetime, tz, is_session) -> str | None:
    """The slot (UTC text) this brief should run for now, or None when it already ran for it (or is stale)."""
    slot = latest_slot(brief, now, tz, is_session)
    if slot is None or now - slot > CATCH_UP:
        return None
    stamp = utc_text(slot)
    if stamp <= created or (brief.last_run is not None and brief.last_run >= stamp):
        return None
    return stamp


def describe_schedule(brief: Brief) -> str:
    last = f"; last sent {brief.last_run}" if brief.last_run else ""
    if brief.cadence == "daily":
        return f"{brief.id}: daily at {brief.at} exchange time (trading days){last}"
    return f"{brief.id}: weekly on {DAYS[brief.weekday or 0].title()} at {brief.at} exchange time{last}"


def _reading(service, symbol: str) -> str:
    from market.indicators import compute_indicators

    try:
        quote = service.market.quote(symbol)
    except Exception as exc:
        return f"- **{symbol}**: no quote ({getattr(exc, 'user_message', exc)})"
    price = f"{quote.price:,.2f}" if quote.price is not None else "n/a"
    move = f"{quote.change_pct:+.2f}%" if quote.change_pct is not None else "n/a"
    when = f"{quote.as_of:%Y-%m-%d %H:%M} UTC" if quote.as_of else "time unknown"
    parts = [f"- **{symbol}** {price} ({move} on the day, as of {when})"]
    try:
        frame = compute_indicators(service.market.history(symbol, period="1y"), ("rsi", "sma50"))
        rsi, sma = frame["RSI_14"].dropna(), frame["SMA_50"].dropna()
        if len(rsi):
            parts.append(f"RSI(14) {rsi.iloc[-1]:.1f}")
        if len(sma) and quote.price is not None:
            parts.append(f"{'above' if quote.price >= sma.iloc[-1] else 'below'} SMA(50) {sma.iloc[-1]:,.2f}")
    except Exception:
        parts.append("indicators unavailable")
    return "; ".join(parts)


def _headlines(service, symbols: list[str], limit: int = 3) -> list[str]:
    lines = []
    for symbol in symbols[:3]:
        try:
            items = service.market.news(symbol, count=limit)
        except Exception:
            continue
        for item in items[:limit]:
            raw = str(item.get("title", "")).translate({ord(c): " " for c in "[]()<>!`*_|#"})
            title = " ".join(raw.split())[:160]  # plain words only: no links, images or markup from the web
            if title:
                lines.append(f"- {symbol}: {title} ({item.get('publisher') or 'unknown source'})")
    return lines


def brief_text(service, workspace: str, now: datetime, since: str | None,
               positions_of: Callable[[str], list[str]] | None = None,
               commentary: Callable[[str, str], str | None] | None = None) -> tuple[str, str, dict]:
    """Title, body and data of a brief for `workspace` at `now` (alerts fired after `since`)."""
    watch = service.watchlist(workspace)
    held = [s for s in (positions_of(workspace) if positions_of else []) if s not in watch]
    symbols = watch + held
    title = f"Brief for {now:%Y-%m-%d %H:%M} UTC"
    lines = []
    if symbols:
        lines.append("**Watchlist and positions**")
        lines += [_reading(service, s) for s in symbols]
    else:
        lines.append("Your watchlist is empty and you hold no positions: add symbols with `/watch SYMBOL`.")
    fired = [n for n in service.notifications(workspace, 50)
             if n.kind == "alert" and (since is None or n.created > since)]
    lines.append("**Alerts fired since the last brief**")
    lines += [f"- {n.title} ({n.created})" for n in reversed(fired)] or ["- none"]
    headlines = _headlines(service, symbols)
    if headlines:
        lines.append("**Headlines** (untrusted web content: not checked, not advice)")
        lines += headlines
    body = "\n".join(lines)
    note = commentary(workspace, body) if commentary else None
    if note:
        body = f"{body}\n\n**Commentary** (written by the model from the figures above)\n{note.strip()[:1500]}"
    data = {"symbols": symbols, "alerts": [n.id for n in fired], "commentary": bool(note), "at": utc_text(now)}
    return title, body, data
