"""US equity regular-session hours, for the built-in paper broker's clock.

Mon-Fri 09:30-16:00 America/New_York. Exchange holidays are not modelled (the
built-in broker is a practice account; Alpaca's own clock is used with Alpaca).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from trading.broker import Clock

NEW_YORK = ZoneInfo("America/New_York")
OPEN = time(9, 30)
CLOSE = time(16, 0)


def _is_trading_day(day: datetime) -> bool:
    return day.weekday() < 5


def us_equity_clock(now: datetime) -> Clock:
    """The regular-session clock at `now` (timezone-aware; naive means UTC)."""
    if now.tzinfo is None:
        from datetime import timezone

        now = now.replace(tzinfo=timezone.utc)
    local = now.astimezone(NEW_YORK)
    today_open = datetime.combine(local.date(), OPEN, NEW_YORK)
    today_close = datetime.combine(local.date(), CLOSE, NEW_YORK)
    is_open = _is_trading_day(local) and today_open <= local < today_close
    next_open = today_open if (_is_trading_day(local) and local < today_open) else None
    day = local
    while next_open is None:
        day = day + timedelta(days=1)
        if _is_trading_day(day):
            next_open = datetime.combine(day.date(), OPEN, NEW_YORK)
    if is_open:
        next_close = today_close
    else:
        next_close = datetime.combine(next_open.date(), CLOSE, NEW_YORK)
    return Clock(is_open=is_open, timestamp=local, next_open=next_open, next_close=next_close)


def trading_date(now: datetime) -> str:
    """The New York calendar date of `now`, as YYYY-MM-DD (day orders expire when it changes)."""
    if now.tzinfo is None:
        from datetime import timezone

        now = now.replace(tzinfo=timezone.utc)
    return now.astimezone(NEW_YORK).date().isoformat()
