"""`MarketData`: the one process-wide, cached market-data client over yfinance.

Built once by `agents.services.build_services()` and shared by every session
(market data is public). Quotes are cached for `quote_ttl_s`, daily history
for `history_ttl_s`; concurrent requests for one key fetch once; several
tickers are fetched in parallel. Every failure surfaces as a
`market.MarketDataError` with a `user_message`; yfinance's empty
frames count as failures.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.symbols import valid_symbol
from market.cache import TTLCache
from market.errors import InvalidRequest, MarketDataError, NoData, RateLimited, UnknownSymbol, translate
from market.http import yahoo_session
from market.performance import compare_closes
from market.yahoo import clean_history, fetch_yahoo, news_items, profile_fields, quote_fields, search_matches

PERIODS = ("1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max")
INTERVALS = ("1m", "2m", "5m", "15m", "30m", "60m", "90m", "1h", "1d", "5d", "1wk", "1mo", "3mo")
INTRADAY_TTL_S = 60.0
NEWS_TTL_S = 300.0
SEARCH_TTL_S = 86400.0


@dataclass(frozen=True)
class Quote:
    symbol: str
    name: str
    price: float | None
    change: float | None
    change_pct: float | None
    previous_close: float | None
    open: float | None
    day_low: float | None
    day_high: float | None
    volume: float | None
    market_cap: float | None
    currency: str
    exchange: str
    market_state: str
    as_of: dt.datetime | None
    delay_minutes: int | None
    source: str

    @property
    def delay_note(self) -> str:
        if self.delay_minutes is None:
            return "delay unknown"
        return "real-time" if self.delay_minutes == 0 else f"delayed {self.delay_minutes} min"


@dataclass(frozen=True)
class Comparison:
    """Side-by-side performance of several tickers over one window."""

    period: str
    # index: symbol; columns: start, end, first, last, return_pct, volatility_pct, max_drawdown_pct
    stats: pd.DataFrame
    correlation: pd.DataFrame  # of daily returns, over the dates all tickers share
    closes: pd.DataFrame  # daily closes, one column per ticker (dates as index)
    failures: dict[str, str]  # symbol -> user message, for tickers that could not be fetched


def normalize_symbol(symbol: str) -> str:
    """The ticker symbol `symbol` names (core.symbols' rule), or `InvalidRequest`."""
    return valid_symbol(symbol, InvalidRequest)


def split_symbols(symbols: str) -> list[str]:
    """'AAPL, msft nvda' -> ['AAPL', 'MSFT', 'NVDA'] (order kept, duplicates dropped)."""
    return list(dict.fromkeys([s.strip().upper() for s in str(symbols).replace(" ", ",").split(",") if s.strip()]))


def check_period(period: str) -> str:
    if period not in PERIODS:
        raise InvalidRequest(f"Unknown period {period!r}; use one of {', '.join(PERIODS)}.")
    return period


def check_interval(interval: str) -> str:
    if interval not in INTERVALS:
        raise InvalidRequest(f"Unknown interval {interval!r}; use one of {', '.join(INTERVALS)}.")
    return interval


class MarketData:
    """Cached access to Yahoo Finance through yfinance; safe to share between threads."""

    def __init__(self, *, base_url: str = "", timeout_s: float = 10.0, quote_ttl_s: float = 15.0,
                 history_ttl_s: float = 3600.0, rate_limit_retries: int = 2, backoff_s: float = 1.0,
                 max_workers: int = 8, sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.quote_ttl_s = quote_ttl_s
        self.history_ttl_s = history_ttl_s
        self.rate_limit_retries = rate_limit_retries
        self.backoff_s = backoff_s
        self.max_workers = max_workers
        self.cache = TTLCache(on_lookup=self._count_lookup)
        self.metrics = None  # telemetry.metrics.Metrics (set by build_services): cache hits/misses, upstream errors
        self._sleep = sleep
        self._session = yahoo_session(base_url, timeout_s)
        self._session_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings, **overrides) -> MarketData:
        """The client configured by YAHOO_BASE_URL, MARKET_TIMEOUT_S, QUOTE_TTL_S and HISTORY_TTL_S."""
        options: dict[str, Any] = dict(base_url=settings.yahoo_base_url, timeout_s=settings.market_timeout_s,
                                       quote_ttl_s=settings.quote_ttl_s, history_ttl_s=settings.history_ttl_s)
        options.update(overrides)
        return cls(**options)

    # --- the one way to reach yfinance ----------------------------------------------
    def _fetch(self, kind: str, key: str, options: dict, what: str):
        """Call yfinance with bounded retries on rate limits; errors become MarketDataError."""
        attempt = 0
        while True:
            try:
                return fetch_yahoo(kind, key, options, session=self._session, timeout_s=self.timeout_s)
            except Exception as exc:  # yfinance/requests/curl raise many types; translate() sorts them
                error = translate(exc, what)
                if self.metrics is not None:
                    self.metrics.market_upstream_errors.labels(kind=kind, error=type(error).__name__).inc()
                if isinstance(error, RateLimited) and attempt < self.rate_limit_retries:
                    self._sleep(self.backoff_s * (2 ** attempt))
                    attempt += 1
                    continue
                raise error from exc

    def _count_lookup(self, key, hit: bool) -> None:
        if self.metrics is not None:
            self.metrics.market_cache.labels(kind=str(key[0]), result="hit" if hit else "miss").inc()

    # --- public API ---------------------------------------------------------------------
    def info(self, symbol: str) -> dict:
        """Yahoo's `Ticker.info` for `symbol` (cached for the quote TTL). Do not mutate."""
        symbol = normalize_symbol(symbol)

        def load() -> dict:
            info = self._fetch("info", symbol, {}, f"{symbol} quote")
            if not info or quote_fields(symbol, info)["price"] is None:
                raise UnknownSymbol(f"Yahoo Finance has no quote for {symbol}: the symbol may be wrong or delisted.")
            return info

        return self.cache.get_or_fetch(("info", symbol), self.quote_ttl_s, load)

    def quote(self, symbol: str) -> Quote:
        symbol = normalize_symbol(symbol)
        cached = self.cache.peek(("quote", symbol))
        if cached is not None:
            return cached
        return self.cache.get_or_fetch(("quote", symbol), self.quote_ttl_s,
                                       lambda: Quote(**quote_fields(symbol, self.info(symbol))))

    def history(self, symbol: str, period: str | None = "1y", interval: str = "1d",
                start: str | dt.date | None = None, end: str | dt.date | None = None) -> pd.DataFrame:
        """OHLCV (+ Dividends, Stock Splits), adjusted for splits and dividends. Never empty: raises instead."""
        symbol = normalize_symbol(symbol)
        interval = check_interval(interval)
        if start is None and end is None:
            period = check_period(period or "1y")
        else:
            period = None
            start, end = _as_date(start, "start"), _as_date(end, "end")
            if start and end and start >= end:
                raise InvalidRequest(f"The start date {start} must be before the end date {end}.")
        span = f"{period}" if period else f"{start or '…'} to {end or 'today'}"
        what = f"{symbol} {interval} history ({span})"
        intraday = interval[-1] in "mh" and interval != "1mo" and interval != "3mo"
        ttl = INTRADAY_TTL_S if intraday or period == "1d" else self.history_ttl_s

        def load() -> pd.DataFrame:
            raw = self._fetch("history", symbol,
                              {"period": period, "interval": interval, "start": start, "end": end}, what)
            frame = clean_history(raw)
            if frame.empty:
                raise NoData(f"Yahoo Finance returned no prices for {what}.")
            return frame

        frame = self.cache.get_or_fetch(("history", symbol, period, interval, str(start), str(end)), ttl, load)
        return frame.copy()

    def profile(self, symbol: str) -> dict:
        symbol = normalize_symbol(symbol)
        return profile_fields(symbol, self.info(symbol))

    def news(self, symbol: str, count: int = 8) -> list[dict]:
        """Latest news items about `symbol` (web content: show them labelled untrusted)."""
        symbol = normalize_symbol(symbol)
        count = max(1, min(int(count), 20))
        raw = self.cache.get_or_fetch(("news", symbol, count), NEWS_TTL_S,
                                      lambda: self._fetch("news", symbol, {"count": count}, f"news for {symbol}"))
        return news_items(raw, count)

    def search(self, query: str, count: int = 8) -> list[dict]:
        """Ticker symbols matching a company name or symbol."""
        query = " ".join((query or "").split())
        if not query or len(query) > 80:
            raise InvalidRequest("Give a company name or ticker to search for (at most 80 characters).")
        count = max(1, min(int(count), 20))
        raw = self.cache.get_or_fetch(("search", query.lower(), count), SEARCH_TTL_S,
                                      lambda: self._fetch("search", query, {"count": count}, f"search for {query!r}"))
        return search_matches(raw, count)

    def histories(self, symbols: list[str], period: str = "1y", interval: str = "1d",
                  parallel: bool = True) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
        """History for several tickers fetched in parallel: (frames by symbol, error message by symbol)."""
        wanted = list(dict.fromkeys(normalize_symbol(s) for s in symbols))
        frames: dict[str, pd.DataFrame] = {}
        failures: dict[str, str] = {}

        def one(symbol: str):
            try:
                return symbol, self.history(symbol, period=period, interval=interval), None
            except MarketDataError as exc:
                return symbol, None, exc.user_message

        if parallel and len(wanted) > 1:
            with ThreadPoolExecutor(max_workers=min(self.max_workers, len(wanted)),
                                    thread_name_prefix="market") as pool:
                results = list(pool.map(one, wanted))
        else:
            results = [one(s) for s in wanted]
        for symbol, frame, failure in results:
            if frame is not None:
                frames[symbol] = frame
            else:
                failures[symbol] = failure
        return frames, failures

    def compare(self, symbols: list[str], period: str = "1y", parallel: bool = True) -> Comparison:
        """Return, volatility, max drawdown and correlation of daily returns for 2-20 tickers."""
        if not 2 <= len(set(s.strip().upper() for s in symbols)) <= 20:
            raise InvalidRequest("Compare needs between 2 and 20 different tickers.")
        period = check_period(period)
        frames, failures = self.histories(symbols, period=period, parallel=parallel)
        if len(frames) < 1:
            raise NoData("None of the tickers could be fetched: " + "; ".join(failures.values()))
        stats, correlation, closes = compare_closes({s: f["Close"] for s, f in frames.items()})
        return Comparison(period=period, stats=stats, correlation=correlation, closes=closes, failures=failures)


def _as_date(value, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidRequest(f"The {name} date {value!r} is not a date like 2024-01-31.") from None
