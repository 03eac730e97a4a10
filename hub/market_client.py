"""The client a shared (Hub) market tool uses when given none: configured like the app, from the environment."""

from __future__ import annotations

import os
import threading

from market.client import MarketData

_CLIENT: list = []
_CLIENT_LOCK = threading.Lock()


def shared_market() -> MarketData:
    """One MarketData per process, reading YAHOO_BASE_URL and MARKET_TIMEOUT_S (built on first use)."""
    with _CLIENT_LOCK:
        if not _CLIENT:
            _CLIENT.append(MarketData(base_url=os.environ.get("YAHOO_BASE_URL", ""),
                                      timeout_s=float(os.environ.get("MARKET_TIMEOUT_S") or 10)))
        return _CLIENT[0]
