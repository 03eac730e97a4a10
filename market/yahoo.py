"""Turning yfinance's raw answers into small, predictable records.

Used by `MarketData` only (the Hub copies of the market tools embed the same
client, so they shape data identically).
"""

from __future__ import annotations

from typing import Any


def clean_history(frame):
    """yfinance OHLCV (auto-adjusted for splits and dividends) with empty bars dropped.

    Keeps Open/High/Low/Close/Volume plus Dividends and Stock Splits (zero-filled)
    so callers can report corporate actions. Returns an empty frame when no bar
    has a close, which callers treat as an error.
    """
    import pandas as pd

    columns = ["Open", "High", "Low", "Close", "Volume"]
    if frame is None or len(frame) == 0 or "Close" not in frame.columns:
        return pd.DataFrame(columns=columns + ["Dividends", "Stock Splits"])
    out = frame.dropna(subset=["Close"]).copy()
    for name in ("Dividends", "Stock Splits"):
        out[name] = out[name].fillna(0.0) if name in out.columns else 0.0
    out = out[columns + ["Dividends", "Stock Splits"]]
    out.index.name = "Date"
    return out


def quote_fields(symbol: str, info: dict) -> dict:
    """A quote's fields from `Ticker.info` (quoteSummary + v7 quote), None where Yahoo has nothing."""
    import datetime as dt

    def number(*keys):
        for key in keys:
            value = info.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
        return None

    price = number("regularMarketPrice", "currentPrice")
    previous = number("regularMarketPreviousClose", "previousClose")
    change = number("regularMarketChange")
    if change is None and price is not None and previous:
        change = price - previous
    change_pct = number("regularMarketChangePercent")
    if change_pct is None and change is not None and previous:
        change_pct = change / previous * 100
    stamp = info.get("regularMarketTime")
    as_of = None
    if isinstance(stamp, (int, float)):
        as_of = dt.datetime.fromtimestamp(stamp, tz=dt.UTC)
    elif isinstance(stamp, str):
        try:
            as_of = dt.datetime.fromisoformat(stamp)
        except ValueError:
            as_of = None
    delay = info.get("exchangeDataDelayedBy")
    return {
        "symbol": symbol.upper(),
        "name": info.get("longName") or info.get("shortName") or symbol.upper(),
        "price": price,
        "change": change,
        "change_pct": change_pct,
        "previous_close": previous,
        "open": number("regularMarketOpen", "open"),
        "day_low": number("regularMarketDayLow", "dayLow"),
        "day_high": number("regularMarketDayHigh", "dayHigh"),
        "volume": number("regularMarketVolume", "volume"),
        "market_cap": number("marketCap"),
        "currency": info.get("currency") or "",
        "exchange": info.get("fullExchangeName") or info.get("exchange") or "",
        "market_state": info.get("marketState") or "",
        "as_of": as_of,
        "delay_minutes": int(delay) if isinstance(delay, (int, float)) else None,
        "source": info.get("quoteSourceName") or "Yahoo Finance",
    }


def profile_fields(symbol: str, info: dict) -> dict:
    """Company profile and fundamentals from `Ticker.info`; None where Yahoo has nothing."""
    keys = {
        "name": ("longName", "shortName"), "sector": ("sector",), "industry": ("industry",),
        "country": ("country",), "website": ("website",), "employees": ("fullTimeEmployees",),
        "currency": ("financialCurrency", "currency"), "market_cap": ("marketCap",),
        "pe": ("trailingPE",), "forward_pe": ("forwardPE",), "eps": ("trailingEps", "epsTrailingTwelveMonths"),
        "forward_eps": ("forwardEps",), "dividend_yield": ("dividendYield",),
        "profit_margin": ("profitMargins",), "operating_margin": ("operatingMargins",),
        "gross_margin": ("grossMargins",), "beta": ("beta",), "week52_low": ("fiftyTwoWeekLow",),
        "week52_high": ("fiftyTwoWeekHigh",), "target_mean": ("targetMeanPrice",),
        "target_low": ("targetLowPrice",), "target_high": ("targetHighPrice",),
        "recommendation": ("recommendationKey",), "analysts": ("numberOfAnalystOpinions",),
        "summary": ("longBusinessSummary",),
    }
    out: dict = {"symbol": symbol.upper()}
    for field, names in keys.items():
        out[field] = next((info[n] for n in names if info.get(n) not in (None, "", "none")), None)
    return out


def news_items(raw: list, limit: int = 8) -> list[dict]:
    """News from a Yahoo search answer: title, publisher, UTC time, link, related tickers."""
    import datetime as dt

    items = []
    for entry in raw or []:
        content = entry.get("content") if isinstance(entry.get("content"), dict) else entry
        title = content.get("title")
        if not title:
            continue
        stamp = content.get("providerPublishTime") or content.get("pubDate")
        when = None
        if isinstance(stamp, (int, float)):
            when = dt.datetime.fromtimestamp(stamp, tz=dt.UTC)
        elif isinstance(stamp, str):
            try:
                when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except ValueError:
                when = None
        link = content.get("link") or (content.get("canonicalUrl") or {}).get("url") or ""
        publisher = content.get("publisher") or (content.get("provider") or {}).get("displayName") or ""
        items.append({"title": str(title), "publisher": str(publisher), "time": when, "link": str(link),
                      "tickers": list(content.get("relatedTickers") or [])})
        if len(items) >= limit:
            break
    return items


def search_matches(raw: list, limit: int = 8) -> list[dict]:
    """Symbols from a Yahoo search answer: symbol, name, type, exchange."""
    matches = []
    for entry in raw or []:
        if not entry.get("symbol"):
            continue
        matches.append({
            "symbol": entry["symbol"],
            "name": entry.get("longname") or entry.get("shortname") or "",
            "type": entry.get("typeDisp") or entry.get("quoteType") or "",
            "exchange": entry.get("exchDisp") or entry.get("exchange") or "",
        })
        if len(matches) >= limit:
            break
    return matches


def _yfinance():
    """yfinance, set to raise its errors instead of logging them and returning empty frames: our code decides what
    an error means. This is the one yfinance setting (process-wide), made here, where yfinance is called, so the
    app and the standalone Hub tools get the same behaviour; nothing is set at import or in a constructor."""
    import yfinance as yf

    yf.config.debug.hide_exceptions = False
    return yf


def fetch_yahoo(kind: str, symbol: str, options: dict, session: Any = None, timeout_s: float = 10.0):
    """One raw yfinance call: kind is "history", "info", "news" or "search".

    The single place where yfinance is called, shared by the app's cached
    client and by standalone tools. Raises yfinance's/requests' errors as is,
    except that yfinance's own SQLite cache being briefly locked by a parallel
    fetch ("database is locked") is retried a few times.
    """
    import time

    yf = _yfinance()
    for attempt in range(4):
        try:
            if kind == "history":
                ticker = yf.Ticker(symbol, session=session)
                return ticker.history(period=options.get("period"), interval=options.get("interval", "1d"),
                                      start=options.get("start"), end=options.get("end"), timeout=timeout_s,
                                      auto_adjust=True, actions=True)
            if kind == "info":
                return dict(yf.Ticker(symbol, session=session).info or {})
            if kind == "news":
                return yf.Search(symbol, max_results=0, news_count=int(options.get("count", 8)), lists_count=0,
                                 include_cb=False, session=session, timeout=timeout_s).news
            if kind == "search":
                return yf.Search(symbol, max_results=int(options.get("count", 8)), news_count=0, lists_count=0,
                                 include_cb=False, session=session, timeout=timeout_s).quotes
        except Exception as exc:
            if "database is locked" not in str(exc) or attempt == 3:
                raise
            time.sleep(0.05 * (attempt + 1))
            continue
        raise ValueError(f"unknown kind {kind!r}")
