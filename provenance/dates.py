"""Dates as people and tools write them, read as spans of days: "2025-02-14 21:00 UTC", "Nov 21, 2025", "March 2020".

A date an answer writes next to a figure is compared with the dates its source carries: the same day, or a
span of days that overlaps ("in March 2020" and a row of 2020-03-23; "on 2020-12-15" and a history from
2020-12-01 to 2020-12-31). Only dates that name a calendar day or month are compared: times of day, quarters,
halves and fiscal years ("Q3", "FY2025" differ from company to company) never make a figure untraced.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
          r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
DATE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\s?(?:UTC|Z|ET|EST|EDT))?)?"
    r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
    rf"|\b{_MONTH}\s\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s\d{{4}})?\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s{_MONTH}(?:,?\s\d{{4}})?\b"
    rf"|\b{_MONTH}\s\d{{4}}\b"
    r"|\b(?:Q[1-4]|H[12]|FY)\s?'?\d{2,4}\b"
    r"|\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?(?:\s?(?:UTC|ET|EST|EDT))?")
ISO_DAY = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_MONTHS = {name: n for n, name in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                              "nov", "dec"), 1)}
_NAMED = re.compile(
    r"(?:(?P<m1>[A-Za-z]{3})[a-z]*\.?\s(?P<d1>\d{1,2})(?:st|nd|rd|th)?(?:,?\s(?P<y1>\d{4}))?"
    r"|(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s(?P<m2>[A-Za-z]{3})[a-z]*\.?(?:,?\s(?P<y2>\d{4}))?"
    r"|(?P<m3>[A-Za-z]{3})[a-z]*\.?\s(?P<y3>\d{4}))$")
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2,4})$")

Span = tuple[str, str]  # first and last day, ISO ("2020-03-01", "2020-03-31")
Stated = Span | str  # a span, or "MM-DD" for a day written without its year ("Nov 21")


def _day(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def stated_days(written: str) -> Stated | None:
    """The days a written date names: a span of days, "MM-DD" for a day without its year, None when not a day
    or month of the calendar (a time of day, a quarter, a fiscal year)."""
    written = written.strip()
    iso = ISO_DAY.match(written)
    if iso:
        day = _day(*map(int, iso.groups()))
        return (day, day) if day else None
    slashed = _SLASHED.match(written)
    if slashed:
        first, second, year = map(int, slashed.groups())
        year += 2000 if year < 100 else 0
        month, day = (second, first) if first > 12 else (first, second)  # US order unless it cannot be
        iso_day = _day(year, month, day)
        return (iso_day, iso_day) if iso_day else None
    named = _NAMED.match(written)
    if not named:
        return None
    month = _MONTHS.get((named["m1"] or named["m2"] or named["m3"] or "").lower())
    if month is None:
        return None
    if named["m3"]:
        year = int(named["y3"])
        return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"
    day, year = int(named["d1"] or named["d2"]), named["y1"] or named["y2"]
    if year is None:
        return f"{month:02d}-{day:02d}" if 1 <= day <= 31 else None
    iso_day = _day(int(year), month, day)
    return (iso_day, iso_day) if iso_day else None


def days_in(text: str, start: int = 0, end: int | None = None, *, all_formats: bool = True) -> Span | None:
    """The first and last day `text[start:end]` writes (ISO dates; other spellings too when it has none)."""
    end = len(text) if end is None else end
    first = last = None
    for match in ISO_DAY.finditer(text, start, end):
        day = match.group(0)
        if first is None or day < first:
            first = day
        if last is None or day > last:
            last = day
    if first is None and all_formats:
        for match in DATE.finditer(text, start, end):
            stated = stated_days(match.group(0))
            if isinstance(stated, tuple):
                first = stated[0] if first is None else min(first, stated[0])
                last = stated[1] if last is None else max(last, stated[1])
    return (first, last) if first else None


def agrees(stated: Stated, span: Span) -> bool:
    """Whether the days an answer states fall within (or overlap) the span of days a source carries."""
    first, last = span
    if isinstance(stated, tuple):
        return stated[0] <= last[:10] and stated[1] >= first[:10]
    for year in range(int(first[:4]), min(int(last[:4]), int(first[:4]) + 50) + 1):  # a day without its year
        if first[:10] <= f"{year:04d}-{stated}" <= last[:10]:
            return True
    return False


EARLIER_SESSION = re.compile(r"(?:previous|prior|prev)[ _]?close", re.IGNORECASE)
EARLIER_SESSION_DAYS = 5  # a quote of Monday gives Friday's close; a long weekend and a holiday fit in five days


def reaching_back(span: Span, days: int) -> Span:
    """`span` starting `days` earlier: what a quote calls its previous close is of the session before its date."""
    first = dt.date.fromisoformat(span[0][:10]) - dt.timedelta(days=days)
    return first.isoformat(), span[1]


def quick_key(stated: Stated) -> str | None:
    """A string every ISO-dated source line carrying these days contains: the ISO day ("2025-02-14") or month
    ("2025-02"), or "-02-14" for a day written without its year; None for longer spans."""
    if isinstance(stated, str):
        return f"-{stated}"
    if isinstance(stated, tuple):
        if stated[0] == stated[1]:
            return stated[0]
        if stated[0][:7] == stated[1][:7]:
            return stated[0][:7]
    return None
