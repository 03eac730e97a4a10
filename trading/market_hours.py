"""US equity regular-session hours, for the built-in paper broker's clock.

The New York Stock Exchange's calendar (market.calendar: exchange_calendars' XNYS) decides: weekends,
exchange holidays and early closes (e.g. 13:00 the day after Thanksgiving) are respected.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from market.calendar import exchange_calendar
from trading.broker import Clock

NEW_YORK = ZoneInfo("America/New_York")


def _aware(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now


def us_equity_clock(now: datetime) -> Clock:
    """The regular-session clock at `now` (timezone-aware; naive means UTC)."""
    clock = exchange_calendar().clock(_aware(now))
    return Clock(is_open=clock.is_open, timestamp=_aware(now).astimezone(NEW_YORK),
                 next_open=clock.next_open.astimezone(NEW_YORK), next_close=clock.next_close.astimezone(NEW_YORK))


def trading_date(now: datetime) -> str:
    """The New York calendar date of `now`, as YYYY-MM-DD (day orders expire when it changes)."""
    return _aware(now).astimezone(NEW_YORK).date().isoformat()
