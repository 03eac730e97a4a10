"""Where a market tool gets its data: the app's shared client, or yfinance directly.

Self-contained helpers carried by the tools (see market.hub). In the app a
tool's `data_client` is the process-wide `MarketData` (cache, single-flight,
retries, clear errors). A tool loaded from the Hub has no client: it calls
yfinance itself, honouring YAHOO_BASE_URL and MARKET_TIMEOUT_S like the app.
"""

from __future__ import annotations


def load_market(helpers, data_client, kind: str, symbol: str, options: dict):
    """history -> cleaned OHLCV frame; info -> dict; news / search -> list of small dicts.

    `helpers` is the tool class, which carries yahoo_session, fetch_yahoo,
    clean_history, news_items and search_matches.
    """
    if data_client is not None:
        if kind == "history":
            return data_client.history(symbol, period=options.get("period"), interval=options.get("interval", "1d"),
                                       start=options.get("start"), end=options.get("end"))
        if kind == "info":
            return data_client.info(symbol)
        if kind == "news":
            return data_client.news(symbol, options.get("count", 8))
        return data_client.search(symbol, options.get("count", 8))
    import os

    timeout_s = float(os.environ.get("MARKET_TIMEOUT_S") or 10)
    session = helpers.yahoo_session(os.environ.get("YAHOO_BASE_URL", ""), timeout_s)
    raw = helpers.fetch_yahoo(kind, symbol.strip().upper() if kind != "search" else symbol, options, session, timeout_s)
    if kind == "history":
        frame = helpers.clean_history(raw)
        if frame.empty:
            raise ValueError(f"Yahoo Finance returned no prices for {symbol}: the symbol may be wrong or delisted.")
        return frame
    if kind == "info":
        if not raw:
            raise ValueError(f"Yahoo Finance has no data for {symbol}.")
        return raw
    if kind == "news":
        return helpers.news_items(raw, int(options.get("count", 8)))
    return helpers.search_matches(raw, int(options.get("count", 8)))


def fmt_number(value, digits: int = 2) -> str:
    """Compact human number: 3.67T, 40.9M, 1,234.57; "n/a" for missing values."""
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, str):
        return value
    magnitude = abs(value)
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if magnitude >= size:
            return f"{value / size:,.2f}{suffix}"
    return f"{value:,.{digits}f}"


def cap_text(text: str, limit: int = 3500) -> str:
    """Tool output kept under a hard size for the model."""
    if len(text) <= limit:
        return text
    return text[: limit - 40].rstrip() + f"\n…[cut {len(text) - limit + 40} characters]"


def close_of(helpers, data_client, symbol: str, period: str):
    """(symbol, daily close series or None, error message or None): one ticker of a comparison."""
    try:
        frame = helpers.load_market(helpers, data_client, "history", symbol, {"period": period, "interval": "1d"})
        return symbol, frame["Close"], None
    except Exception as exc:
        return symbol, None, str(getattr(exc, "user_message", None) or exc)
