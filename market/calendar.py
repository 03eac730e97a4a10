"""Exchange calendars (sessions, holidays, early closes) from the maintained `exchange_calendars` package.

`exchange_calendar("XNYS")` is built once per process (the package takes about a second to import and
half a second to build a calendar, so both happen on first use, never at import). All times in and out
are timezone-aware; a naive datetime means UTC. Moments outside the calendar's range (about 20 years back
to one year ahead) count as closed.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from dataclasses import dataclass

DEFAULT_EXCHANGE = "XNYS"  # New York Stock Exchange (US equities)
_lock = threading.Lock()


def _utc(moment: dt.datetime):
    import pandas as pd

    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@dataclass(frozen=True)
class MarketClock:
    """The exchange's state at one moment."""

    is_open: bool
    timestamp: dt.datetime  # in the exchange's time zone
    next_open: dt.datetime
    next_close: dt.datetime
    session_date: dt.date | None  # the session `timestamp` falls in (None outside a session)


class ExchangeCalendar:
    """Open/closed, next open/close and session dates for one exchange."""

    def __init__(self, code: str = DEFAULT_EXCHANGE):
        self.code = code
        self._built = None
        self._build_lock = threading.Lock()

    @property
    def _calendar(self):
        """The package's calendar, built on the first question (start-up's warm-up asks one, off the request path)."""
        if self._built is None:
            with self._build_lock:
                if self._built is None:
                    import exchange_calendars

                    self._built = exchange_calendars.get_calendar(self.code)
        return self._built

    @property
    def tz(self):
        return self._calendar.tz

    def warm(self) -> None:
        """Build the calendar now (about a second on a small machine), so no request pays for it."""
        _ = self._calendar

    def _in_range(self, stamp) -> bool:
        return self._calendar.first_minute <= stamp <= self._calendar.last_minute

    def is_open(self, moment: dt.datetime) -> bool:
        """True during a regular trading session (holidays, weekends and early closes respected)."""
        stamp = _utc(moment)
        return self._in_range(stamp) and bool(self._calendar.is_open_on_minute(stamp, ignore_breaks=True))

    def next_open(self, moment: dt.datetime) -> dt.datetime:
        return self._calendar.next_open(_utc(moment)).tz_convert(self.tz).to_pydatetime()

    def next_close(self, moment: dt.datetime) -> dt.datetime:
        return self._calendar.next_close(_utc(moment)).tz_convert(self.tz).to_pydatetime()

    def session_date(self, moment: dt.datetime) -> dt.date | None:
        """The trading session `moment` falls in, or None when the exchange is closed then."""
        if not self.is_open(moment):
            return None
        return self._calendar.minute_to_session(_utc(moment)).date()

    def is_session(self, day: dt.date) -> bool:
        """Whether `day` is a trading day (not a weekend or holiday)."""
        import pandas as pd

        stamp = pd.Timestamp(day)
        cal = self._calendar
        return cal.first_session <= stamp <= cal.last_session and bool(cal.is_session(stamp))

    def local(self, moment: dt.datetime) -> dt.datetime:
        return _utc(moment).tz_convert(self.tz).to_pydatetime()

    def clock(self, moment: dt.datetime) -> MarketClock:
        is_open = self.is_open(moment)
        return MarketClock(
            is_open=is_open, timestamp=self.local(moment),
            next_open=self.next_open(moment),
            # during a session the next close is today's; outside one it is the close of the next session
            next_close=self.next_close(moment),
            session_date=self.session_date(moment) if is_open else None,
        )


@functools.lru_cache(maxsize=8)
def _build(code: str) -> ExchangeCalendar:
    return ExchangeCalendar(code)


def exchange_calendar(code: str = DEFAULT_EXCHANGE) -> ExchangeCalendar:
    """The process-wide calendar of `code` (built on first use)."""
    with _lock:
        return _build(code)
