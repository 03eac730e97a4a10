"""A thread-safe TTL cache with single-flight: concurrent misses on one key fetch once.

Only public market data goes in here (the cache is shared by every session).
Errors are never cached: every waiter of a failed fetch gets the error, and
the next call fetches again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any


class TTLCache:
    def __init__(self, max_entries: int = 2048, clock: Callable[[], float] = time.monotonic,
                 on_lookup: Callable[[Hashable, bool], None] | None = None):
        self.max_entries = max_entries
        self.on_lookup = on_lookup  # called with (key, hit) for metrics; a waiter on another's fetch is a hit
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, Any]] = {}  # key -> (expires_at, value)
        self._flights: dict[Hashable, Future] = {}
        self._lock = threading.Lock()
        self.fetches = 0  # how many times a fetch function actually ran (for tests and benchmarks)

    def peek(self, key: Hashable) -> Any | None:
        """The fresh cached value for `key`, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self._clock():
                return None  # not counted: the caller's get_or_fetch() counts the miss
        if self.on_lookup is not None:
            self.on_lookup(key, True)
        return entry[1]

    def get_or_fetch(self, key: Hashable, ttl_s: float, fetch: Callable[[], Any]) -> Any:
        """The cached value for `key`, fetching it (once, however many callers ask) when missing or stale."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            fresh = entry is not None and entry[0] > now
            flight = None if fresh else self._flights.get(key)
            leader = not fresh and flight is None
            if leader:
                flight = self._flights[key] = Future()
        if self.on_lookup is not None:
            self.on_lookup(key, not leader)
        if fresh:
            return entry[1]
        if not leader:
            return flight.result()
        try:
            self.fetches += 1
            value = fetch()
        except BaseException as exc:
            with self._lock:
                self._flights.pop(key, None)
            flight.set_exception(exc)
            raise
        with self._lock:
            if ttl_s > 0:
                self._entries[key] = (self._clock() + ttl_s, value)
                self._evict_locked()
            self._flights.pop(key, None)
        flight.set_result(value)
        return value

    def _evict_locked(self) -> None:
        if len(self._entries) <= self.max_entries:
            return
        now = self._clock()
        for key in [k for k, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        while len(self._entries) > self.max_entries:  # oldest-inserted first
            del self._entries[next(iter(self._entries))]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
