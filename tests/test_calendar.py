"""The exchange calendar (exchange_calendars' XNYS) and the paper broker's market-hours clock built on it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from market.calendar import exchange_calendar
from trading.market_hours import trading_date, us_equity_clock

NY = ZoneInfo("America/New_York")


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


def test_thanksgiving_is_a_holiday_and_the_day_after_closes_early():
    cal = exchange_calendar()
    thanksgiving = ny(2026, 11, 26, 11, 0)  # a Thursday, 11:00 in New York
    assert thanksgiving.weekday() == 3
    assert not cal.is_open(thanksgiving) and not cal.is_session(date(2026, 11, 26))
    assert cal.next_open(thanksgiving) == ny(2026, 11, 27, 9, 30)
    assert cal.next_close(thanksgiving) == ny(2026, 11, 27, 13, 0)  # Black Friday: early close
    assert cal.is_open(ny(2026, 11, 27, 12, 59)) and not cal.is_open(ny(2026, 11, 27, 13, 30))
    assert cal.session_date(ny(2026, 11, 25, 15, 59)) == date(2026, 11, 25)
    assert cal.session_date(thanksgiving) is None


def test_weekend_and_regular_hours():
    cal = exchange_calendar()
    saturday = ny(2026, 11, 21, 12, 0)
    assert not cal.is_open(saturday) and cal.next_open(saturday) == ny(2026, 11, 23, 9, 30)
    assert cal.is_open(ny(2026, 11, 23, 9, 30)) and not cal.is_open(ny(2026, 11, 23, 9, 29))
    assert not cal.is_open(ny(2026, 11, 23, 16, 0))
    assert cal.is_open(datetime(2026, 11, 23, 15, 0))  # naive means UTC: 10:00 in New York


def test_paper_broker_clock_respects_holidays_now():
    clock = us_equity_clock(datetime(2026, 11, 26, 16, 0, tzinfo=UTC))  # Thanksgiving 11:00 New York
    assert not clock.is_open
    assert clock.next_open == ny(2026, 11, 27, 9, 30) and clock.next_close == ny(2026, 11, 27, 13, 0)
    christmas_eve = us_equity_clock(datetime(2026, 12, 24, 18, 30, tzinfo=UTC))  # 13:30: early close day
    assert not christmas_eve.is_open and christmas_eve.next_open == ny(2026, 12, 28, 9, 30)
    monday = us_equity_clock(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
    assert monday.is_open and monday.next_close == ny(2026, 11, 23, 16, 0)
    assert trading_date(datetime(2026, 11, 24, 3, 0)) == "2026-11-23"
