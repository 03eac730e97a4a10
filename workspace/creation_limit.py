"""How many anonymous workspaces may be made: per client address and in all, per UTC day (issue 22, item 8).

Every new anonymous workspace (a browser without a stored key, a Gradio client without one, a keyless
`POST /api/runs`) is counted against its client's address (an IPv6 address by its /64, which one machine is
usually given whole) and against the day's total. Over either count, `NewWorkspaceRefused` says so and when the
day ends; a person who has a key is never refused, since opening a workspace is not making one. Counts are kept in
memory: a restart starts the day's counts again (a day's allowance, not a ledger).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable

from core.errors import UserError

DAY_S = 86400


class NewWorkspaceRefused(UserError):
    """No new anonymous workspace now; `retry_after_s` is the time left until the UTC day ends."""

    def __init__(self, user_message: str, retry_after_s: float):
        super().__init__(user_message)
        self.retry_after_s = retry_after_s


def address_bucket(client: str | None) -> str:
    """The counted name of a client address: an IPv4 address as is, an IPv6 address by its /64."""
    if not client:
        return "unknown"
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client[:64]
    if address.version == 6:
        mapped = address.ipv4_mapped
        if mapped is not None:
            return str(mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class CreationLimit:
    def __init__(self, per_address: int, per_day: int, clock: Callable[[], float] = time.time):
        self.per_address = per_address
        self.per_day = per_day
        self.clock = clock
        self._day = -1
        self._counts: dict[str, int] = {}
        self._total = 0
        self._lock = threading.Lock()

    def admit(self, client: str | None) -> None:
        """Count one new workspace of `client`'s address, or raise `NewWorkspaceRefused` (nothing counted)."""
        now = self.clock()
        day = int(now // DAY_S)
        bucket = address_bucket(client)
        with self._lock:
            if day != self._day:
                self._day, self._counts, self._total = day, {}, 0
            left = (day + 1) * DAY_S - now
            if self._counts.get(bucket, 0) >= self.per_address:
                raise NewWorkspaceRefused(
                    f"Too many new workspaces from your address today (the limit is {self.per_address} a day). "
                    f"Come back with your workspace key, or try again in {_wait_words(left)}.", left)
            if self._total >= self.per_day:
                raise NewWorkspaceRefused(
                    f"This app has made as many new workspaces today as it makes in a day ({self.per_day}). "
                    f"Come back with your workspace key, or try again in {_wait_words(left)}.", left)
            self._counts[bucket] = self._counts.get(bucket, 0) + 1
            self._total += 1


def _wait_words(seconds: float) -> str:
    minutes = max(1, int(seconds + 59) // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"
