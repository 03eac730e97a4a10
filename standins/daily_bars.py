"""Daily bars for the Stooq and Alpaca stand-ins, derived from the recorded Yahoo charts (tests/fixtures/yahoo).

Neither Stooq nor Alpaca's market data was recorded for the symbols the tests use, so their stand-ins serve the
same recorded Yahoo prices in their own wire formats (see tests/fixtures/stooq/PROVENANCE.md): open, high, low
and close scaled by Yahoo's adjclose/close (split- and dividend-adjusted, as both services publish them), volume
as recorded. The dates are moved forward by whole weeks (weekdays stay weekdays) so the last bar falls in the
week before today: the sources are asked for "the last year" by date, as in production.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from standins.yahoo import YahooRecordings

NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class Bar:
    day: dt.date
    open: float
    high: float
    low: float
    close: float
    volume: int


class DerivedBars:
    def __init__(self, recordings: YahooRecordings | None = None, today: dt.date | None = None):
        self.recordings = recordings or YahooRecordings()
        self.today = today or dt.date.today()
        self._bars: dict[str, list[Bar]] = {}

    def symbols(self) -> set[str]:
        return {symbol for symbol, interval in self.recordings.charts if interval == "1d"}

    def bars(self, symbol: str) -> list[Bar]:
        """Every derived daily bar of `symbol` (oldest first); [] for a symbol with no daily recording."""
        symbol = symbol.upper()
        if symbol not in self._bars:
            results = self.recordings.charts.get((symbol, "1d"))
            if not results:
                return []
            result = results[0]  # the longest recording
            quote = result["indicators"]["quote"][0]
            adjclose = (result["indicators"].get("adjclose") or [{}])[0].get("adjclose") or quote["close"]
            raw = []
            for i, stamp in enumerate(result["timestamp"]):
                close = quote["close"][i]
                if close is None or quote["open"][i] is None:
                    continue
                factor = (adjclose[i] or close) / close
                day = dt.datetime.fromtimestamp(stamp, NEW_YORK).date()
                raw.append((day, quote["open"][i] * factor, quote["high"][i] * factor, quote["low"][i] * factor,
                            close * factor, int(quote["volume"][i] or 0)))
            weeks = (self.today - raw[-1][0]).days // 7
            shift = dt.timedelta(days=7 * weeks) if weeks > 0 else dt.timedelta(0)
            self._bars[symbol] = [Bar(day + shift, round(o, 4), round(h, 4), round(lo, 4), round(c, 4), v)
                                  for day, o, h, lo, c, v in raw]
        return self._bars[symbol]

    def between(self, symbol: str, first: dt.date | None, last: dt.date | None) -> list[Bar]:
        """Bars with first <= day <= last (either end open when None)."""
        return [b for b in self.bars(symbol) if (first is None or b.day >= first) and (last is None or b.day <= last)]


def resample(bars: list[Bar], interval: str) -> list[Bar]:
    """Weekly ("w") or monthly ("m") bars from daily ones (dated by their last day, as Stooq does)."""
    if interval == "d":
        return bars
    groups: dict[tuple, list[Bar]] = {}
    for bar in bars:
        key = bar.day.isocalendar()[:2] if interval == "w" else (bar.day.year, bar.day.month)
        groups.setdefault(key, []).append(bar)
    return [Bar(g[-1].day, g[0].open, max(b.high for b in g), min(b.low for b in g), g[-1].close,
                sum(b.volume for b in g)) for g in groups.values()]
