"""Stooq's free daily CSV (no key): daily, weekly and monthly bars of US stocks, ETFs and main indices.

`GET {STOOQ_BASE_URL}/q/d/l/?s=aapl.us&i=d[&d1=YYYYMMDD&d2=YYYYMMDD]` answers
`Date,Open,High,Low,Close,Volume` rows (oldest first), or the text "No data" for a symbol it does not know, or
"Exceeded the daily hits limit" when it has had enough of us. The maintained readers of this feed are gone
(pandas-datareader is unmaintained), so this is a small client of our own over `requests` and pandas. A request
for a period downloads the symbol's whole history in one CSV (Stooq has no `range=`; the bar cache keeps it, and
later requests ask only for the days after the last cached bar).
"""

from __future__ import annotations

import datetime as dt
import io
import re

from market.errors import BadResponse, NoData, RateLimited, ServiceUnavailable, UnknownSymbol
from market.sources import Source, slice_period

STOOQ_URL = "https://stooq.com"
INTERVALS = {"1d": "d", "1wk": "w", "1mo": "m"}
# Yahoo's index symbols -> Stooq's.
INDICES = {"^GSPC": "^spx", "^DJI": "^dji", "^IXIC": "^ndq", "^NDX": "^ndx", "^RUT": "^rut", "^VIX": "^vix"}
US_TICKER = re.compile(r"^[A-Z][A-Z0-9]{0,5}([.-][A-Z])?$")


def stooq_symbol(symbol: str) -> str | None:
    """AAPL -> aapl.us, BRK-B -> brk-b.us, ^GSPC -> ^spx; None for what Stooq's US feed does not carry."""
    if symbol in INDICES:
        return INDICES[symbol]
    if US_TICKER.match(symbol):
        return symbol.replace(".", "-").lower() + ".us"
    return None


def parse_csv(text: str, what: str):
    """Stooq's CSV as a `clean_history`-shaped frame (dates at midnight, America/New_York), or a clear error."""
    import pandas as pd

    head = text.lstrip()[:200]
    if head.startswith("No data") or not head:
        raise UnknownSymbol(f"Stooq has no data for {what}: the symbol may be wrong, delisted, or not a US listing.")
    if "Exceeded the daily hits limit" in head:
        raise RateLimited(f"Stooq's daily request limit is used up ({what}). Try again tomorrow.")
    if not head.startswith("Date,"):
        raise BadResponse(f"Stooq sent an unreadable answer for {what} (not its CSV).")
    try:
        frame = pd.read_csv(io.StringIO(text), parse_dates=["Date"], index_col="Date")
    except (ValueError, pd.errors.ParserError) as exc:
        raise BadResponse(f"Stooq sent an unreadable CSV for {what} ({exc}).") from None
    missing = {"Open", "High", "Low", "Close"} - set(frame.columns)
    if missing:
        raise BadResponse(f"Stooq's CSV for {what} lacks {', '.join(sorted(missing))}.")
    if "Volume" not in frame.columns:
        frame["Volume"] = 0.0  # indices have no volume
    frame = frame[["Open", "High", "Low", "Close", "Volume"]].astype(float).dropna(subset=["Close"])
    frame["Dividends"] = 0.0
    frame["Stock Splits"] = 0.0
    frame.index = pd.DatetimeIndex(frame.index).tz_localize("America/New_York")
    frame.index.name = "Date"
    if frame.empty:
        raise NoData(f"Stooq returned no prices for {what}.")
    return frame.sort_index()


class StooqSource(Source):
    key = "stooq"
    source_name = "Stooq"
    delay = "end of day (published after the close)"
    adjustment = "adjusted for splits and dividends by Stooq"
    kinds = frozenset({"history", "quote"})
    intervals = frozenset(INTERVALS)

    def __init__(self, base_url: str = "", timeout_s: float = 10.0, **kwargs):
        super().__init__(**kwargs)
        import requests

        self.base_url = (base_url or STOOQ_URL).rstrip("/")
        self.timeout_s = timeout_s
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "smol-trader (daily bars; one request per symbol and day)"

    def covers(self, symbol: str) -> bool:
        return stooq_symbol(symbol) is not None

    def _csv(self, symbol: str, interval: str, start: dt.date | None, end: dt.date | None, what: str):
        import requests

        code = stooq_symbol(symbol)
        if code is None:
            raise UnknownSymbol(f"Stooq's free feed does not carry {symbol} (US stocks, ETFs and main indices only).")
        params = {"s": code, "i": INTERVALS[interval]}
        if start is not None:
            params["d1"] = start.strftime("%Y%m%d")
        if end is not None:
            params["d2"] = (end - dt.timedelta(days=1)).strftime("%Y%m%d")  # our `end` is exclusive, Stooq's not
        self.take()
        try:
            response = self.session.get(f"{self.base_url}/q/d/l/", params=params, timeout=self.timeout_s)
        except requests.Timeout:
            raise ServiceUnavailable(f"Stooq did not answer in time while fetching {what}.") from None
        except requests.RequestException as exc:
            raise ServiceUnavailable(f"Cannot reach Stooq to fetch {what} ({type(exc).__name__}).") from None
        if response.status_code == 429:
            raise RateLimited(f"Stooq is rate-limiting requests right now ({what}).")
        if response.status_code >= 500:
            raise ServiceUnavailable(f"Stooq is having problems (HTTP {response.status_code}) while fetching {what}.")
        if response.status_code >= 400:
            raise BadResponse(f"Stooq refused the request for {what} (HTTP {response.status_code}).")
        return parse_csv(response.text, what)

    def history(self, symbol: str, *, period: str | None, interval: str, start, end):
        span = f"{period}" if period else f"{start or '…'} to {end or 'today'}"
        what = f"{symbol} {interval} history ({span})"
        frame = self._csv(symbol, interval, start, end, what)
        if period:
            frame = slice_period(frame, period)
        if frame.empty:
            raise NoData(f"Stooq returned no prices for {what}.")
        return frame

    def quote(self, symbol: str) -> dict:
        frame = self._csv(symbol, "1d", None, None, f"{symbol} last close")
        return quote_from_bars(symbol, frame, exchange="", source="daily close")


def quote_from_bars(symbol: str, frame, *, exchange: str, source: str, price: float | None = None,
                    when: dt.datetime | None = None) -> dict:
    """A quote's fields from daily bars: the last bar's close (or a later trade's `price` at `when`)."""
    import pandas as pd

    last = frame.iloc[-1]
    previous = float(frame["Close"].iloc[-2]) if len(frame) > 1 else None
    if price is None:
        price = float(last["Close"])
        stamp = frame.index[-1]
        stamp = stamp if stamp.tzinfo is not None else stamp.tz_localize("America/New_York")
        when = (pd.Timestamp(stamp.date()).tz_localize("America/New_York") + pd.Timedelta(hours=16)).to_pydatetime()
        when = when.astimezone(dt.UTC)
    change = price - previous if previous else None
    return {
        "symbol": symbol, "name": symbol, "price": price, "change": change,
        "change_pct": change / previous * 100 if change is not None else None, "previous_close": previous,
        "open": float(last["Open"]), "day_low": float(last["Low"]), "day_high": float(last["High"]),
        "volume": float(last["Volume"]), "market_cap": None, "currency": "USD", "exchange": exchange,
        "market_state": "", "as_of": when, "delay_minutes": None, "source": source,
    }
