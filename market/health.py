"""Politeness and health of one market-data source: a token-bucket limiter and a circuit breaker.

Each source behind `MarketData` owns one of each, so every caller in the process (tools, slash commands, the
alert checker, briefs, the side panel) shares the same budget of requests to that source and the same view of
whether it is up. Both take a clock, so tests and benchmarks drive them without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """At most `burst` requests at once, refilled at `per_minute` tokens a minute; `acquire` waits for a token.

    `acquire(cost, max_wait_s)` reserves tokens and sleeps until they are due; it returns False (reserving nothing)
    when that would be more than `max_wait_s` away, so a caller goes to the next source instead of queueing behind
    a busy one. `taken` counts tokens handed out.
    """

    def __init__(self, per_minute: float, burst: float | None = None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.per_minute = float(per_minute)
        self.burst = float(burst if burst is not None else max(1.0, min(10.0, self.per_minute / 6)))
        self._rate = self.per_minute / 60.0
        self._tokens = self.burst
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()
        self.taken = 0.0

    def _refill_locked(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    def acquire(self, cost: float = 1.0, max_wait_s: float = 30.0) -> bool:
        """Reserve `cost` tokens and wait until they are due; False (nothing reserved) when that is more than
        `max_wait_s` away. Reservations queue: callers waiting together never take more than the rate allows."""
        if self._rate <= 0:
            return True  # no limit configured
        cost = min(float(cost), self.burst)
        with self._lock:
            self._refill_locked()
            wait = max(0.0, (cost - self._tokens) / self._rate)
            if wait > max_wait_s:
                return False
            self._tokens -= cost  # may go below zero: later callers wait behind this reservation
            self.taken += cost
        if wait > 0:
            self._sleep(wait)
        return True

    def bound(self, seconds: float) -> float:
        """The most tokens this bucket can hand out over `seconds`: the burst plus the refill."""
        return self.burst + max(0.0, seconds) * self._rate if self._rate > 0 else float("inf")


class CircuitBreaker:
    """closed -> (after `threshold` failures in a row) open for `cooldown_s` -> half-open: one probe decides.

    `allow()` says whether a request may go to the source now; in half-open state only one caller at a time gets
    True (the probe). `success()` closes the circuit; `failure(message)` counts, and opens it at the threshold or
    when a probe fails.
    """

    def __init__(self, threshold: int = 3, cooldown_s: float = 60.0, *, clock: Callable[[], float] = time.monotonic):
        self.threshold = max(1, int(threshold))
        self.cooldown_s = float(cooldown_s)
        self._clock = clock
        self._lock = threading.Lock()
        self.failures = 0
        self.opened_at: float | None = None
        self.last_error = ""
        self._probing = False

    @property
    def state(self) -> str:
        with self._lock:
            return self._state_locked()

    def _state_locked(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self._clock() - self.opened_at >= self.cooldown_s else "open"

    def allow(self) -> bool:
        with self._lock:
            state = self._state_locked()
            if state == "closed":
                return True
            if state == "half-open" and not self._probing:
                self._probing = True
                return True
            return False

    def success(self) -> None:
        with self._lock:
            self.failures, self.opened_at, self._probing, self.last_error = 0, None, False, ""

    def release(self) -> None:
        """A probe that neither succeeded nor failed (e.g. the symbol is unknown there): let another probe."""
        with self._lock:
            self._probing = False

    def failure(self, message: str) -> None:
        with self._lock:
            self.failures += 1
            self.last_error = message
            if self._probing or self.failures >= self.threshold:
                self.opened_at = self._clock()
            self._probing = False

    def retry_in_s(self) -> float:
        with self._lock:
            if self.opened_at is None:
                return 0.0
            return max(0.0, self.cooldown_s - (self._clock() - self.opened_at))
