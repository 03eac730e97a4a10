"""The market-data sources `MarketData` tries in order, and the first of them: Yahoo Finance through yfinance.

A source answers some kinds of request ("history", "quote", and for Yahoo only "info", "news", "search"), owns
one token-bucket limiter (every HTTP request it makes takes a token) and one circuit breaker (read by
`MarketData`'s chain), and raises only `market.errors.MarketDataError`s whose messages name the source. Frames it
returns are `clean_history` frames; `MarketData` labels them with `source_name`, `delay` and `adjustment`.
Alpaca's and Stooq's sources live in market/alpaca_data.py and market/stooq.py.
"""

from __future__ import annotations

from typing import Any

from market.errors import NoData, RateLimited, SourceBusy, UnknownSymbol, translate
from market.health import CircuitBreaker, TokenBucket
from market.http import yahoo_session
from market.yahoo import clean_history, fetch_yahoo, quote_fields

YAHOO_NAME = "Yahoo Finance"
# Calendar days a period spans, counted back from the last bar (as Yahoo's `range=` does).
PERIOD_DAYS = {"1d": 1, "5d": 7, "1mo": 31, "3mo": 92, "6mo": 183, "1y": 366, "2y": 731, "5y": 1827, "10y": 3653}


def period_start(last_day, period: str):
    """The first calendar day a `period` ending on `last_day` (a date) covers; None for "max"."""
    import datetime as dt

    if period == "max":
        return None
    if period == "ytd":
        return dt.date(last_day.year, 1, 1)
    return last_day - dt.timedelta(days=PERIOD_DAYS.get(period, 366) - 1)


def slice_period(frame, period: str):
    """The bars of `frame` inside `period`, counted back from its last bar."""
    if frame.empty:
        return frame
    first = period_start(frame.index[-1].date(), period)
    if first is None:
        return frame
    return frame[[stamp.date() >= first for stamp in frame.index]]


class Source:
    """One place market data comes from; subclasses set the class attributes and implement what they offer."""

    key = ""  # short id used in settings and /status: yahoo, alpaca, stooq
    source_name = ""  # the name every answer shows, e.g. "Stooq"
    delay = ""  # how fresh its figures are, in words ("end of day", "real-time, IEX only")
    adjustment = ""  # how its daily bars are adjusted, in words
    kinds: frozenset[str] = frozenset()
    intervals: frozenset[str] | None = None  # history intervals it serves (None: any)
    complete_catalogue = False  # an unknown symbol here is unknown everywhere (no need to ask the next source)

    def __init__(self, limiter: TokenBucket | None = None, breaker: CircuitBreaker | None = None,
                 max_wait_s: float = 3.0):
        self.limiter = limiter or TokenBucket(0)
        self.breaker = breaker or CircuitBreaker()
        self.max_wait_s = max_wait_s  # the longest a request queues for a token before going to the next source

    def can(self, kind: str, interval: str | None = None) -> bool:
        return kind in self.kinds and (interval is None or self.intervals is None or interval in self.intervals)

    def take(self, cost: float = 1.0) -> None:
        """One token per HTTP request this call makes; `SourceBusy` when the bucket is empty for too long."""
        if not self.limiter.acquire(cost, self.max_wait_s):
            raise SourceBusy(f"{self.source_name} is at its request budget ({self.limiter.per_minute:g} a "
                             "minute) and the wait is too long.")

    def history(self, symbol: str, *, period: str | None, interval: str, start, end):
        raise NotImplementedError

    def histories(self, symbols: list[str], *, period: str, interval: str) -> dict[str, Any] | None:
        """Several symbols in one request, where the source allows it; None: ask one by one."""
        return None

    def quote(self, symbol: str) -> dict:
        """Fields of `market.client.Quote` (without `provider`)."""
        raise NotImplementedError

    def health(self) -> dict:
        breaker = self.breaker
        state = breaker.state
        return {"source": self.source_name, "key": self.key, "state": state, "healthy": state == "closed",
                "failures": breaker.failures, "last_error": breaker.last_error,
                "retry_in_s": round(breaker.retry_in_s(), 1), "per_minute": self.limiter.per_minute}


class YahooSource(Source):
    """Yahoo Finance through yfinance: everything, including fundamentals, news and symbol search."""

    key = "yahoo"
    source_name = YAHOO_NAME
    delay = "exchange delay as Yahoo marks it"
    adjustment = "adjusted for splits and dividends"
    kinds = frozenset({"history", "quote", "info", "news", "search"})
    complete_catalogue = True
    # Most HTTP requests one yfinance call makes (Ticker.info: quoteSummary, v7 quote, fundamentals time series).
    COSTS = {"history": 2, "info": 3, "news": 1, "search": 1}  # history: + a time-zone lookup, once per symbol

    def __init__(self, base_url: str = "", timeout_s: float = 10.0, *, rate_limit_retries: int = 2,
                 backoff_s: float = 1.0, sleep=None, **kwargs):
        super().__init__(**kwargs)
        import time

        self.base_url = base_url
        self.timeout_s = timeout_s
        self.rate_limit_retries = rate_limit_retries
        self.backoff_s = backoff_s
        self.sleep = sleep or time.sleep
        self.retry = True  # bounded retries on 429 (MarketData turns them off when another source can answer)
        self.on_error = None  # called with (kind, error) for metrics
        self.session = yahoo_session(base_url, timeout_s)

    def fetch(self, kind: str, key: str, options: dict, what: str):
        """One yfinance call with bounded retries on rate limits; errors become MarketDataError."""
        attempt = 0
        while True:
            self.take(self.COSTS.get(kind, 1))
            try:
                return fetch_yahoo(kind, key, options, session=self.session, timeout_s=self.timeout_s)
            except Exception as exc:  # yfinance/requests/curl raise many types; translate() sorts them
                error = translate(exc, what)
                if self.on_error is not None:
                    self.on_error(kind, error)
                if isinstance(error, RateLimited) and self.retry and attempt < self.rate_limit_retries:
                    self.sleep(self.backoff_s * (2 ** attempt))
                    attempt += 1
                    continue
                raise error from exc

    def info(self, symbol: str) -> dict:
        info = self.fetch("info", symbol, {}, f"{symbol} quote")
        if not info or quote_fields(symbol, info)["price"] is None:
            raise UnknownSymbol(f"Yahoo Finance has no quote for {symbol}: the symbol may be wrong or delisted.")
        return info

    def history(self, symbol: str, *, period: str | None, interval: str, start, end):
        span = f"{period}" if period else f"{start or '…'} to {end or 'today'}"
        what = f"{symbol} {interval} history ({span})"
        raw = self.fetch("history", symbol, {"period": period, "interval": interval, "start": start, "end": end},
                         what)
        frame = clean_history(raw)
        if frame.empty:
            raise NoData(f"Yahoo Finance returned no prices for {what}.")
        return frame
