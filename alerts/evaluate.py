"""Evaluating every active alert rule at once: one snapshot per symbol, then numpy over all rules.

`snapshots()` reads each symbol once from the shared `MarketData` cache (a quote, plus daily history when a
rule needs an indicator), however many workspaces watch it. `evaluate()` turns the rules (columns from the
database) and the snapshots into new crossing states and the rules that fire, without a Python loop per rule.

Crossing semantics: a level rule (price, move, rsi) fires when its condition becomes true while armed
(state 0, or never checked) and re-arms when the condition is false again; a moving-average rule fires when
the side of the average the price is on changes from the side last seen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from market.indicators import compute_indicators


@dataclass(frozen=True)
class SymbolSnapshot:
    symbol: str
    price: float | None
    change_pct: float | None
    as_of: datetime | None
    indicators: dict[str, float] = field(default_factory=dict)  # "rsi14" -> 61.2, "sma50" -> 180.3
    source: str = ""  # the market-data source the quote came from (Quote.provider)


@dataclass(frozen=True)
class Evaluation:
    value: np.ndarray  # the number each rule looked at (nan when unknown)
    state: np.ndarray  # new state per rule: 1/0, or -1 when unknown (state kept)
    fired: np.ndarray  # bool per rule


_COLUMN = {"sma": "SMA_", "ema": "EMA_", "rsi": "RSI_"}


class IndicatorCache:
    """Indicator values per symbol, kept as long as the daily history they come from (HISTORY_TTL_S): daily
    bars change no faster than the market cache refreshes them, so a warm check reads no history at all."""

    def __init__(self, ttl_s: float = 3600.0, clock: Callable[[], float] = time.monotonic, max_symbols: int = 5000):
        self._values: dict[tuple[str, tuple[str, ...]], tuple[float, dict[str, float]]] = {}
        self._lock = threading.Lock()
        self.ttl_s = ttl_s
        self.clock = clock
        self.max_symbols = max_symbols

    def values(self, market, symbol: str, names: tuple[str, ...]) -> dict[str, float]:
        key = (symbol, names)
        with self._lock:
            hit = self._values.get(key)
        if hit is not None and hit[0] > self.clock():
            return hit[1]
        frame = market.history(symbol, period="1y", interval="1d")
        computed = compute_indicators(frame[["Close"]], names)
        out = {}
        for name in names:
            series = computed[_COLUMN[name[:3]] + name[3:]].dropna()
            out[name] = float(series.iloc[-1]) if len(series) else float("nan")
        with self._lock:
            if len(self._values) >= self.max_symbols:
                self._values.clear()
            self._values[key] = (self.clock() + self.ttl_s, out)
        return out


class FailureMemo:
    """Symbols Yahoo does not know (delisted, renamed) are not asked for again for `ttl_s`: a dead symbol in
    someone's alert costs one request every few minutes, not one per check. Network errors are not remembered."""

    def __init__(self, ttl_s: float = 300.0, clock: Callable[[], float] = time.monotonic):
        self.ttl_s = ttl_s
        self.clock = clock
        self._until: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def recent(self) -> dict[str, str]:
        now = self.clock()
        with self._lock:
            self._until = {s: hit for s, hit in self._until.items() if hit[0] > now}
            return {s: message for s, (_, message) in self._until.items()}

    def remember(self, symbol: str, message: str) -> None:
        with self._lock:
            self._until[symbol] = (self.clock() + self.ttl_s, message)


def snapshot(market, symbol: str, indicators: tuple[str, ...], cache: IndicatorCache) -> SymbolSnapshot:
    """One symbol's quote and indicator readings (raises the market's errors)."""
    quote = market.quote(symbol)
    values = cache.values(market, symbol, indicators) if indicators else {}
    return SymbolSnapshot(symbol, quote.price, quote.change_pct, quote.as_of, values,
                          source=getattr(quote, "provider", ""))


def snapshots(market, needs: dict[str, set[str]], cache: IndicatorCache, max_workers: int = 8,
              memo: FailureMemo | None = None) -> tuple[dict[str, SymbolSnapshot], dict[str, str]]:
    """Snapshots of every symbol in `needs` (symbol -> indicator names), fetched in parallel; failures by symbol."""
    from market.errors import NoData, UnknownSymbol

    found: dict[str, SymbolSnapshot] = {}
    skipped = memo.recent() if memo is not None else {}
    failures: dict[str, str] = {s: message for s, message in skipped.items() if s in needs}

    def one(symbol: str):
        try:
            return symbol, snapshot(market, symbol, tuple(sorted(needs[symbol])), cache), None
        except Exception as exc:  # one symbol failing must not stop the others
            message = getattr(exc, "user_message", None) or f"{type(exc).__name__}: {exc}"
            if memo is not None and isinstance(exc, (UnknownSymbol, NoData)):
                memo.remember(symbol, message)
            return symbol, None, message

    symbols = sorted(s for s in needs if s not in failures)
    if not symbols:
        return found, failures
    workers = max(1, min(max_workers, len(symbols)))
    # a few chunks, not one task per symbol: cached symbols take microseconds, misses wait on the network
    chunks = [symbols[i::workers] for i in range(workers)]
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alerts") as pool:
            results = [r for chunk in pool.map(lambda c: [one(s) for s in c], chunks) for r in chunk]
    else:
        results = [one(s) for s in symbols]
    found.update({symbol: snap for symbol, snap, _ in results if snap is not None})
    failures.update({symbol: failure for symbol, snap, failure in results if snap is None})
    return found, failures


def needs_of(symbols, kinds, indicators) -> dict[str, set[str]]:
    """Which indicators each symbol needs for the given rules (columns as sequences)."""
    needs: dict[str, set[str]] = {}
    for symbol, kind, indicator in zip(symbols, kinds, indicators):
        wanted = needs.setdefault(symbol, set())
        if kind in ("rsi", "cross"):
            wanted.add(indicator)
    return needs


def evaluate(symbols: np.ndarray, kinds: np.ndarray, ops: np.ndarray, thresholds: np.ndarray,
             indicators: np.ndarray, last_states: np.ndarray, snaps: dict[str, SymbolSnapshot]) -> Evaluation:
    """New states and firings for rules given as parallel arrays (`last_states`: 1/0, -1 for never checked)."""
    n = len(symbols)
    price_of = {s: (np.nan if v.price is None else v.price) for s, v in snaps.items()}
    change_of = {s: (np.nan if v.change_pct is None else v.change_pct) for s, v in snaps.items()}
    price = np.fromiter((price_of.get(s, np.nan) for s in symbols), float, n)
    change = np.fromiter((change_of.get(s, np.nan) for s in symbols), float, n)
    reading = np.full(n, np.nan)
    needs_reading = (kinds == "rsi") | (kinds == "cross")
    for i in np.flatnonzero(needs_reading):
        snap = snaps.get(symbols[i])
        if snap is not None:
            reading[i] = snap.indicators.get(indicators[i], np.nan)

    is_price, is_move, is_rsi, is_cross = (kinds == "price"), (kinds == "move"), (kinds == "rsi"), (kinds == "cross")
    value = np.where(is_price, price, np.where(is_move, change, np.where(is_rsi, reading, price - reading)))
    above, below, either = (ops == "above"), (ops == "below"), (ops == "either")
    with np.errstate(invalid="ignore"):
        condition = ((above & (value >= thresholds)) | (below & (value <= thresholds))
                     | (either & (np.abs(value) >= np.abs(thresholds))) | (is_cross & (value >= 0)))
    known = ~np.isnan(value)
    state = np.where(known, condition.astype(int), -1)
    level_fire = ~is_cross & known & condition & (last_states != 1)
    cross_fire = is_cross & known & (last_states >= 0) & (state != last_states)
    return Evaluation(value=value, state=state, fired=level_fire | cross_fire)
