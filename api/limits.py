"""A per-client request limiter for the MCP tools and the runs API.

A stand-in with the shape the visitor-quota layer (quota/) will take over: one call,
`check(client)`, that raises `RateLimited` (a `UserError`) when a client has used up its
allowance. Sliding window over the last minute; the clock is injectable for tests.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from core.errors import UserError


class RateLimited(UserError):
    """Too many requests from one client; `retry_after_s` says when the next one is allowed."""

    def __init__(self, user_message: str, retry_after_s: float):
        super().__init__(user_message)
        self.retry_after_s = retry_after_s


class RateLimiter:
    """At most `per_minute` calls per client key in any 60-second window."""

    WINDOW_S = 60.0

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic, on_refusal=None):
        self.per_minute = per_minute
        self._clock = clock
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self.on_refusal = on_refusal  # e.g. a budget-refusal counter: called with the client key

    def check(self, client: str) -> None:
        now = self._clock()
        with self._lock:
            calls = self._calls.setdefault(client, deque())
            while calls and calls[0] <= now - self.WINDOW_S:
                calls.popleft()
            if len(calls) >= self.per_minute:
                retry = max(0.0, calls[0] + self.WINDOW_S - now)
            else:
                calls.append(now)
                if len(self._calls) > 10_000:  # forget idle clients
                    for key in [k for k, v in self._calls.items() if not v]:
                        del self._calls[key]
                return
        if self.on_refusal is not None:
            self.on_refusal(client)
        raise RateLimited(f"Too many requests: the limit is {self.per_minute} a minute. "
                          f"Try again in {retry:.0f} s.", retry)
