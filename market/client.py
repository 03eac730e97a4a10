"""`MarketData`: the one process-wide, cached market-data client over a chain of sources.

Built once by `runtime.build_runtime()` and shared by every session
(market data is public). Each request goes to the sources in order (Yahoo
Finance through yfinance, then Alpaca's market data when keys are set, then
Stooq's daily CSV), skipping a source whose circuit breaker is open; the first
answer wins and says where it came from (`Quote.provider`, a frame's
`attrs["source"]`). Quotes are cached in memory for `quote_ttl_s`; daily bars
also persist in a `BarStore` (DATA_DIR), refreshed by asking only for the
days after the last stored bar. Concurrent requests for one key fetch once;
several tickers are fetched in parallel. Every failure surfaces as a
`market.MarketDataError` with a `user_message`; yfinance's empty frames count
as failures; when every source fails the message names each one and its error.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.symbols import valid_symbol
from market.cache import TTLCache
from market.errors import (
    OUTAGES,
    FeatureUnavailable,
    InvalidRequest,
    MarketDataError,
    NoData,
    ServiceUnavailable,
    SourceBusy,
    SourcesUnavailable,
    UnknownSymbol,
)
from market.health import CircuitBreaker, TokenBucket
from market.performance import compare_closes
from market.sources import YAHOO_NAME, Source, YahooSource, period_start
from market.yahoo import news_items, profile_fields, quote_fields, search_matches

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
    source: str  # the feed within the provider (Yahoo's quoteSourceName, "last IEX trade", "Stooq daily close")
    provider: str = YAHOO_NAME  # the market-data source that answered
    delay_label: str = ""  # the provider's own delay wording, when it has no minutes figure

    @property
    def delay_note(self) -> str:
        if self.delay_minutes is None:
            return self.delay_label or "delay unknown"
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
    sources: dict[str, str] = field(default_factory=dict)  # symbol -> the source its closes came from

    @property
    def source_label(self) -> str:
        names = list(dict.fromkeys(self.sources.values())) or [YAHOO_NAME]
        if len(names) == 1:
            return names[0]
        return ", ".join(f"{s} from {n}" for s, n in self.sources.items())


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


FEATURES = {"info": "Company fundamentals", "news": "News headlines",
            "search": "Symbol search"}
OVERLAP_TOLERANCE = 1e-3  # a stored bar differing more than this from the source's: a new adjustment, refetch all


def label_frame(frame: pd.DataFrame, sources: list[Source] | list[str], *, delay: str = "",
                adjustment: str = "") -> pd.DataFrame:
    """Write where `frame`'s bars came from into `frame.attrs` (kept by copies and slices)."""
    names = [s.source_name if isinstance(s, Source) else str(s) for s in sources]
    objects = [s for s in sources if isinstance(s, Source)]
    frame.attrs["source"] = " + ".join(dict.fromkeys(names))
    frame.attrs["delay"] = delay or "; ".join(dict.fromkeys(s.delay for s in objects if s.delay))
    frame.attrs["adjustment"] = adjustment or "; ".join(dict.fromkeys(s.adjustment for s in objects if s.adjustment))
    return frame


def source_of(frame: pd.DataFrame) -> str:
    """The name of the source(s) a history frame came from (Yahoo Finance for frames made before the chain)."""
    return frame.attrs.get("source") or YAHOO_NAME


def origin(frame: pd.DataFrame) -> str:
    """A frame's source and delay for a structured result, e.g. "Stooq (end of day (published after the close))"."""
    delay = frame.attrs.get("delay")
    return f"{source_of(frame)} ({delay})" if delay else source_of(frame)


class MarketData:
    """Cached access to market data through a chain of sources; safe to share between threads."""

    def __init__(self, *, base_url: str = "", timeout_s: float = 10.0, quote_ttl_s: float = 15.0,
                 history_ttl_s: float = 3600.0, rate_limit_retries: int = 2, backoff_s: float = 1.0,
                 max_workers: int = 8, sleep: Callable[[float], None] = time.sleep,
                 sources: list[Source] | None = None, bar_store=None, clock: Callable[[], float] = time.time):
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.quote_ttl_s = quote_ttl_s
        self.history_ttl_s = history_ttl_s
        self.rate_limit_retries = rate_limit_retries
        self.backoff_s = backoff_s
        self.max_workers = max_workers
        self.cache = TTLCache(on_lookup=self._count_lookup)
        self.metrics = None  # telemetry.metrics.Metrics (set by build_runtime): cache hits/misses, upstream errors
        self.bar_store = bar_store  # market.bar_store.BarStore, or None: daily bars kept in memory only
        self._sleep = sleep
        self._clock = clock
        if sources is None:
            sources = [YahooSource(base_url, timeout_s, rate_limit_retries=rate_limit_retries, backoff_s=backoff_s)]
        self.sources = list(sources)
        self.yahoo = next((s for s in self.sources if isinstance(s, YahooSource)), None)
        if self.yahoo is not None:
            self.yahoo.sleep = lambda seconds: self._sleep(seconds)
            self.yahoo.on_error = self._count_error
            self.yahoo.retry = len(self.sources) == 1  # with a fallback, a 429 moves on instead of waiting
        self._series_locks: dict[str, threading.Lock] = {}
        self._series_guard = threading.Lock()

    @classmethod
    def from_settings(cls, settings, **overrides) -> MarketData:
        """Yahoo alone, configured by YAHOO_BASE_URL, MARKET_TIMEOUT_S, QUOTE_TTL_S, HISTORY_TTL_S and its
        limiter and breaker settings. The app's whole chain and bar store: `market.chain.market_from_settings`."""
        options: dict[str, Any] = dict(base_url=settings.yahoo_base_url, timeout_s=settings.market_timeout_s,
                                       quote_ttl_s=settings.quote_ttl_s, history_ttl_s=settings.history_ttl_s)
        options.update(overrides)
        if "sources" not in options:
            options["sources"] = [YahooSource(
                options["base_url"], options["timeout_s"], limiter=TokenBucket(settings.market_yahoo_per_minute),
                breaker=CircuitBreaker(settings.market_breaker_failures, settings.market_breaker_cooldown_s),
                max_wait_s=settings.market_limiter_wait_s)]
        return cls(**options)

    def _count_error(self, kind: str, error: MarketDataError) -> None:
        if self.metrics is not None:
            self.metrics.market_upstream_errors.labels(kind=kind, error=type(error).__name__).inc()

    def _count_lookup(self, key, hit: bool) -> None:
        if self.metrics is not None:
            self.metrics.market_cache.labels(kind=str(key[0]), result="hit" if hit else "miss").inc()

    # --- the chain ------------------------------------------------------------------------
    def health(self) -> list[dict]:
        """Each source's state, in chain order: name, healthy, state, failures, last_error, retry_in_s."""
        return [source.health() for source in self.sources]

    def health_line(self) -> str:
        """One line for the side panel, e.g. 'Yahoo Finance ✗ (resting, retry in 42 s) · Stooq ✓'."""
        parts = []
        for h in self.health():
            if h["healthy"]:
                parts.append(f"{h['source']} ✓")
            elif h["state"] == "open":
                parts.append(f"{h['source']} ✗ (resting, retry in {h['retry_in_s']:.0f} s)")
            else:
                parts.append(f"{h['source']} ? (probing)")
        return " · ".join(parts)

    def _walk(self, kind: str, what: str, call: Callable[[Source], Any], *, symbol: str | None = None,
              interval: str | None = None) -> tuple[Source, Any]:
        """The first answer of the sources that can give `kind`, tried in order; errors as described above."""
        candidates = [s for s in self.sources if s.can(kind, interval)
                      and (symbol is None or getattr(s, "covers", lambda _: True)(symbol))]
        if not candidates:
            raise NoData(f"No configured market-data source offers {what}.")
        outcomes: list[tuple[Source, MarketDataError]] = []
        for source in candidates:
            breaker = source.breaker
            if not breaker.allow():
                message = (f"resting after {breaker.failures} failures in a row (last: {breaker.last_error}); "
                           f"next try in {breaker.retry_in_s():.0f} s.")
                if len(self.sources) == 1:
                    message = f"{source.source_name} is {message}"
                outcomes.append((source, ServiceUnavailable(message)))
                continue
            try:
                result = call(source)
            except InvalidRequest:
                breaker.release()
                raise
            except SourceBusy as exc:
                breaker.release()
                outcomes.append((source, exc))
                continue
            except (UnknownSymbol, NoData) as exc:
                breaker.success()  # it answered: the source works
                if source.complete_catalogue and isinstance(exc, UnknownSymbol):
                    raise
                outcomes.append((source, exc))
                continue
            except MarketDataError as exc:
                breaker.failure(exc.user_message)
                outcomes.append((source, exc))
                continue
            except Exception:
                breaker.release()
                raise
            breaker.success()
            return source, result
        raise self._failure(kind, what, outcomes)

    def _failure(self, kind: str, what: str, outcomes: list[tuple[Source, MarketDataError]]) -> MarketDataError:
        if len(outcomes) == 1 and len(self.sources) == 1:
            return outcomes[0][1]  # one source configured: its own error, as it was
        errors = [e for _, e in outcomes]
        listed = " ".join(f"[{s.source_name}] {e.user_message}" for s, e in outcomes)
        if kind in FEATURES and len(outcomes) == 1:
            source, error = outcomes[0]
            others = ", ".join(s.source_name for s in self.sources if s is not source)
            return FeatureUnavailable(f"{FEATURES[kind]} come only from {source.source_name}, which cannot answer "
                                      f"now: {error.user_message} Quotes, charts and daily history still work"
                                      + (f" from {others}." if others else "."))
        if errors and all(isinstance(e, (UnknownSymbol, NoData)) for e in errors):
            return type(errors[0])(f"No source has {what}. " + listed)
        if errors and not any(isinstance(e, OUTAGES) for e in errors) and all(
                isinstance(e, (UnknownSymbol, NoData, SourceBusy)) for e in errors):
            return type(errors[0])(f"No source could answer {what}. " + listed)
        return SourcesUnavailable(f"No market-data source could answer {what}. " + listed)

    # --- public API ---------------------------------------------------------------------
    def _yahoo_info(self, source: YahooSource, symbol: str) -> dict:
        return self.cache.get_or_fetch(("info", symbol), self.quote_ttl_s, lambda: source.info(symbol))

    def info(self, symbol: str) -> dict:
        """Yahoo's `Ticker.info` for `symbol` (cached for the quote TTL). Do not mutate."""
        symbol = normalize_symbol(symbol)
        cached = self.cache.peek(("info", symbol))
        if cached is not None:
            return cached
        return self._walk("info", f"{symbol} fundamentals", lambda s: self._yahoo_info(s, symbol))[1]

    def _quote_from(self, source: Source, symbol: str) -> Quote:
        if isinstance(source, YahooSource):
            return Quote(**quote_fields(symbol, self._yahoo_info(source, symbol)), provider=source.source_name)
        return Quote(**source.quote(symbol), provider=source.source_name, delay_label=source.delay)

    def quote(self, symbol: str) -> Quote:
        symbol = normalize_symbol(symbol)
        cached = self.cache.peek(("quote", symbol))
        if cached is not None:
            return cached
        return self.cache.get_or_fetch(
            ("quote", symbol), self.quote_ttl_s,
            lambda: self._walk("quote", f"a quote for {symbol}", lambda s: self._quote_from(s, symbol),
                               symbol=symbol)[1])

    def history(self, symbol: str, period: str | None = "1y", interval: str = "1d",
                start: str | dt.date | None = None, end: str | dt.date | None = None) -> pd.DataFrame:
        """OHLCV (+ Dividends, Stock Splits), adjusted for splits and dividends. Never empty: raises instead.

        `frame.attrs` says where the bars came from: `source`, `delay`, `adjustment` (and `note` when stored
        bars were served because no source could refresh them)."""
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
        stored = self.bar_store is not None and interval == "1d" and period != "1d"

        def load() -> pd.DataFrame:
            if stored:
                return self._stored_daily(symbol, period, start, end, what)
            source, frame = self._walk(
                "history", what, lambda s: s.history(symbol, period=period, interval=interval, start=start, end=end),
                symbol=symbol, interval=interval)
            return label_frame(frame, [source])

        frame = self.cache.get_or_fetch(("history", symbol, period, interval, str(start), str(end)), ttl, load)
        return frame.copy()

    # --- the persistent daily-bar cache --------------------------------------------------
    def _series_lock(self, symbol: str) -> threading.Lock:
        with self._series_guard:
            return self._series_locks.setdefault(symbol, threading.Lock())

    def _fetch_daily(self, symbol: str, what: str, *, period: str | None, start, end) -> tuple[Source, pd.DataFrame]:
        return self._walk("history", what,
                          lambda s: s.history(symbol, period=period, interval="1d", start=start, end=end),
                          symbol=symbol, interval="1d")

    def _stored_daily(self, symbol: str, period: str | None, start, end, what: str) -> pd.DataFrame:
        """Daily bars from the store, fetching only what it lacks: the days after its last bar, or (when it
        does not reach back far enough, or a stored bar no longer matches the source's) the whole window."""
        store = self.bar_store
        with self._series_lock(symbol):
            frame, info = store.load(symbol, "1d")
            now = self._clock()
            note = ""
            need = self._need_from(period, start, info.last_day if info else None)
            covered = info is not None and (info.covered_from is None or (need is not None
                                                                          and info.covered_from <= need))
            if covered and now - info.fetched_at >= self.history_ttl_s and not (end and end <= info.last_day):
                try:
                    source, newer = self._fetch_daily(symbol, what, period=None, start=info.last_day, end=None)
                except (NoData, UnknownSymbol):
                    store.touch(symbol, "1d", now)
                except MarketDataError as exc:
                    note = (f"stored bars to {info.last_day}: no source could refresh them ({exc.user_message})")
                else:
                    if self._same_basis(frame, newer):
                        store.extend(symbol, "1d", newer, source.source_name, fetched_at=now)
                    else:
                        covered = False  # a dividend or split changed the adjusted history: refetch it whole
            if not covered:
                fetch_start = start if period is None else None
                source, fresh = self._fetch_daily(symbol, what, period=period, start=fetch_start, end=None)
                last_day = fresh.index[-1].date()
                covered_from = self._need_from(period, start, last_day)
                store.replace(symbol, "1d", fresh, source.source_name, covered_from=covered_from, fetched_at=now)
            frame, info = store.load(symbol, "1d")
        need = self._need_from(period, start, info.last_day)
        days = [stamp.date() for stamp in frame.index]
        keep = [(need is None or d >= need) and (end is None or d < end) for d in days]
        out = frame[keep]
        if out.empty:
            raise NoData(f"No prices for {what}.")
        by_name = {s.source_name: s for s in self.sources}
        names = list(out["source"].value_counts().index)
        out = out.drop(columns=["source"])
        label_frame(out, [by_name.get(n, n) for n in names])
        if note:
            out.attrs["note"] = note
        return out

    @staticmethod
    def _need_from(period: str | None, start, last_day) -> dt.date | None:
        """The first day a request needs: from `start`, or the period counted back from the last bar."""
        if period is None:
            return start
        if last_day is None:
            return dt.date.min
        return period_start(last_day, period)

    @staticmethod
    def _same_basis(stored: pd.DataFrame, newer: pd.DataFrame) -> bool:
        """Whether the source still prices the last stored day as stored (no new adjustment since)."""
        day = stored.index[-1].date()
        match = [i for i, stamp in enumerate(newer.index) if stamp.date() == day]
        if not match:
            return True
        old, new = float(stored["Close"].iloc[-1]), float(newer["Close"].iloc[match[0]])
        return abs(new - old) <= OVERLAP_TOLERANCE * abs(old)

    def profile(self, symbol: str) -> dict:
        symbol = normalize_symbol(symbol)
        return profile_fields(symbol, self.info(symbol))

    def news(self, symbol: str, count: int = 8) -> list[dict]:
        """Latest news items about `symbol` (web content: show them labelled untrusted)."""
        symbol = normalize_symbol(symbol)
        count = max(1, min(int(count), 20))
        raw = self.cache.get_or_fetch(
            ("news", symbol, count), NEWS_TTL_S,
            lambda: self._walk("news", f"news for {symbol}",
                               lambda s: s.fetch("news", symbol, {"count": count}, f"news for {symbol}"))[1])
        return news_items(raw, count)

    def search(self, query: str, count: int = 8) -> list[dict]:
        """Ticker symbols matching a company name or symbol."""
        query = " ".join((query or "").split())
        if not query or len(query) > 80:
            raise InvalidRequest("Give a company name or ticker to search for (at most 80 characters).")
        count = max(1, min(int(count), 20))
        raw = self.cache.get_or_fetch(
            ("search", query.lower(), count), SEARCH_TTL_S,
            lambda: self._walk("search", f"search for {query!r}",
                               lambda s: s.fetch("search", query, {"count": count}, f"search for {query!r}"))[1])
        return search_matches(raw, count)

    def histories(self, symbols: list[str], period: str = "1y", interval: str = "1d",
                  parallel: bool = True) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
        """History for several tickers fetched in parallel: (frames by symbol, error message by symbol)."""
        wanted = list(dict.fromkeys(normalize_symbol(s) for s in symbols))
        frames: dict[str, pd.DataFrame] = {}
        failures: dict[str, str] = {}
        if len(wanted) > 1:
            self._batch_prefetch(wanted, check_period(period), check_interval(interval))

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

    def _batch_prefetch(self, symbols: list[str], period: str, interval: str) -> None:
        """When the first working source for this history batches (Alpaca), fetch every symbol not cached yet in
        one request and cache (and store) each frame, so the per-symbol path finds them. Anything it cannot
        fetch is left to the per-symbol path (and its fallbacks)."""
        first = next((s for s in self.sources if s.can("history", interval) and s.breaker.state == "closed"), None)
        if first is None or type(first).histories is Source.histories or period == "1d":
            return
        keys = {sym: ("history", sym, period, interval, "None", "None") for sym in symbols}
        missing = [sym for sym in symbols if self.cache.peek(keys[sym]) is None
                   and getattr(first, "covers", lambda _: True)(sym)]
        if self.bar_store is not None and interval == "1d":
            missing = [sym for sym in missing if self.bar_store.load(sym, "1d")[1] is None]
        if len(missing) < 2:
            return
        try:
            batch = first.histories(missing, period=period, interval=interval)
        except (SourceBusy, UnknownSymbol, NoData):
            first.breaker.release()
            return
        except MarketDataError as exc:
            first.breaker.failure(exc.user_message)
            return
        first.breaker.success()
        now = self._clock()
        for symbol, frame in (batch or {}).items():
            if frame.empty:
                continue
            if self.bar_store is not None and interval == "1d":
                self.bar_store.replace(symbol, "1d", frame, first.source_name,
                                       covered_from=period_start(frame.index[-1].date(), period), fetched_at=now)
                continue  # the per-symbol path reads it back from the store
            self.cache.get_or_fetch(keys[symbol], self.history_ttl_s, lambda f=frame: label_frame(f, [first]))

    def compare(self, symbols: list[str], period: str = "1y", parallel: bool = True) -> Comparison:
        """Return, volatility, max drawdown and correlation of daily returns for 2-20 tickers."""
        if not 2 <= len(set(s.strip().upper() for s in symbols)) <= 20:
            raise InvalidRequest("Compare needs between 2 and 20 different tickers.")
        period = check_period(period)
        frames, failures = self.histories(symbols, period=period, parallel=parallel)
        if len(frames) < 1:
            raise NoData("None of the tickers could be fetched: " + "; ".join(failures.values()))
        stats, correlation, closes = compare_closes({s: f["Close"] for s, f in frames.items()})
        return Comparison(period=period, stats=stats, correlation=correlation, closes=closes, failures=failures,
                          sources={s: source_of(f) for s, f in frames.items()})


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
