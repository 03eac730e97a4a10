"""Alpaca's market data API through alpaca-py's `StockHistoricalDataClient`: daily bars and the latest trade.

Used when ALPACA_API_KEY and ALPACA_SECRET_KEY are set. The free plan's IEX feed is the default (real-time, but
only the IEX exchange's trades: thin volume); ALPACA_DATA_FEED=sip asks for the consolidated tape (the free plan
may not query its last 15 minutes). ALPACA_DATA_URL routes the client elsewhere (alpaca-py's `url_override`),
as tests and evals do. Several symbols' bars come in one request. alpaca-py's own retries (three times, 3 s apart,
on 429) are turned off: the chain goes to the next source instead, and our limiter keeps us under the budget.
"""

from __future__ import annotations

import datetime as dt
import re

from market.errors import BadResponse, MarketDataError, NoData, RateLimited, ServiceUnavailable, UnknownSymbol
from market.sources import PERIOD_DAYS, Source
from market.stooq import quote_from_bars

TIMEFRAMES = {"1d": "Day", "1wk": "Week", "1mo": "Month", "1h": "Hour", "60m": "Hour"}
US_TICKER = re.compile(r"^[A-Z][A-Z0-9]{0,5}([.-][A-Z])?$")
MAX_BARS = 10_000


def alpaca_symbol(symbol: str) -> str | None:
    """BRK-B -> BRK.B; None for indices, crypto pairs and non-US listings (not in Alpaca's stock data)."""
    return symbol.replace("-", ".") if US_TICKER.match(symbol) else None


def bars_frame(rows: list[dict]):
    """Alpaca's bars ({t, o, h, l, c, v, ...}) as a `clean_history`-shaped frame (America/New_York dates)."""
    import pandas as pd

    frame = pd.DataFrame({
        "Open": [float(r["o"]) for r in rows], "High": [float(r["h"]) for r in rows],
        "Low": [float(r["l"]) for r in rows], "Close": [float(r["c"]) for r in rows],
        "Volume": [float(r["v"]) for r in rows], "Dividends": 0.0, "Stock Splits": 0.0,
    }, index=pd.DatetimeIndex([pd.Timestamp(r["t"]) for r in rows]).tz_convert("America/New_York"))
    frame.index.name = "Date"
    return frame.sort_index()


class AlpacaDataSource(Source):
    key = "alpaca"
    kinds = frozenset({"history", "quote"})
    intervals = frozenset(TIMEFRAMES)
    adjustment = "adjusted for splits and dividends (Alpaca, adjustment=all)"

    def __init__(self, api_key: str, secret_key: str, *, base_url: str = "", feed: str = "iex",
                 timeout_s: float = 10.0, **kwargs):
        super().__init__(**kwargs)
        self.feed = (feed or "iex").lower()
        self.source_name = f"Alpaca ({self.feed.upper()} feed)"
        self.delay = ("real-time, IEX exchange only (partial volume)" if self.feed == "iex"
                      else "consolidated tape (SIP; free plans: 15 min delayed)")
        self.timeout_s = timeout_s
        self._client = self._build(api_key, secret_key, base_url, timeout_s)

    @staticmethod
    def _build(api_key: str, secret_key: str, base_url: str, timeout_s: float):
        from alpaca.data.historical import StockHistoricalDataClient
        from requests.adapters import HTTPAdapter

        client = StockHistoricalDataClient(api_key, secret_key, raw_data=True, url_override=base_url or None)
        client._retry = 0  # no 3 s sleeps on 429 inside alpaca-py: the chain moves on and the breaker counts it

        class TimeoutAdapter(HTTPAdapter):  # alpaca-py sets no timeout; a silent host must not hold a request
            def send(self, request, timeout=None, **kwargs):
                return super().send(request, timeout=timeout_s, **kwargs)

        client._session.mount("https://", TimeoutAdapter())
        client._session.mount("http://", TimeoutAdapter())
        return client

    def covers(self, symbol: str) -> bool:
        return alpaca_symbol(symbol) is not None

    def _call(self, what: str, method: str, request, requests_made: int = 1):
        import requests
        from alpaca.common.exceptions import APIError

        self.take(requests_made)
        try:
            return getattr(self._client, method)(request)
        except APIError as exc:
            status = exc.status_code
            if status == 429:
                raise RateLimited(f"Alpaca market data is rate-limiting requests right now ({what}).") from None
            if status is not None and status >= 500:
                raise ServiceUnavailable(f"Alpaca market data is having problems (HTTP {status}) while fetching "
                                         f"{what}.") from None
            message = str(getattr(exc, "message", "") or exc)[:160]
            if status in (400, 404, 422) and "symbol" in message.lower():
                raise UnknownSymbol(f"Alpaca does not know {what}: {message}.") from None
            raise BadResponse(f"Alpaca refused the market-data request for {what} (HTTP {status}: {message}).") \
                from None
        except requests.Timeout:
            raise ServiceUnavailable(f"Alpaca market data did not answer in time while fetching {what}.") from None
        except requests.RequestException as exc:
            raise ServiceUnavailable(f"Cannot reach Alpaca market data to fetch {what} "
                                     f"({type(exc).__name__}).") from None
        except MarketDataError:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise BadResponse(f"Alpaca sent an unreadable answer for {what} ({type(exc).__name__}).") from None

    def _bars_request(self, symbols: list[str], interval: str, start, end):
        from alpaca.data.enums import Adjustment, DataFeed
        from alpaca.data.requests import StockBarsRequest
        from alpaca.data.timeframe import TimeFrame, TimeFrameUnit

        timeframe = TimeFrame(1, TimeFrameUnit[TIMEFRAMES[interval]])
        start_at = dt.datetime.combine(start, dt.time(), dt.UTC)
        end_at = dt.datetime.combine(end, dt.time(), dt.UTC) if end else None
        return StockBarsRequest(symbol_or_symbols=symbols, timeframe=timeframe, start=start_at, end=end_at,
                                adjustment=Adjustment.ALL, feed=DataFeed(self.feed), limit=MAX_BARS * len(symbols))

    @staticmethod
    def _window(period: str | None, start, end, today: dt.date):
        if period is None:
            return start or (today - dt.timedelta(days=366)), end
        if period == "max":
            return dt.date(2016, 1, 1), None  # Alpaca's stock data starts in 2016
        if period == "ytd":
            return dt.date(today.year, 1, 1), None
        return today - dt.timedelta(days=PERIOD_DAYS.get(period, 366) - 1), None

    def histories(self, symbols: list[str], *, period: str | None, interval: str, start=None, end=None) -> dict:
        """Bars of several symbols in one request (alpaca-py pages through long answers itself)."""
        codes = {alpaca_symbol(s): s for s in symbols if alpaca_symbol(s)}
        if not codes:
            return {}
        first, last = self._window(period, start, end, dt.date.today())
        span = period or f"{first} to {last or 'today'}"
        what = f"{', '.join(symbols)} {interval} history ({span})"
        raw = self._call(what, "get_stock_bars", self._bars_request(list(codes), interval, first, last))
        return {codes[code]: bars_frame(rows) for code, rows in (raw or {}).items() if code in codes and rows}

    def history(self, symbol: str, *, period: str | None, interval: str, start, end):
        if not self.covers(symbol):
            raise UnknownSymbol(f"Alpaca's stock data does not carry {symbol} (US stocks and ETFs only).")
        frames = self.histories([symbol], period=period, interval=interval, start=start, end=end)
        if symbol not in frames:
            raise NoData(f"Alpaca returned no {interval} bars for {symbol} ({period or 'that window'}).")
        return frames[symbol]

    def quote(self, symbol: str) -> dict:
        """The latest trade's price, with the day's open/range/volume and the previous close from daily bars."""
        from alpaca.data.enums import DataFeed
        from alpaca.data.requests import StockLatestTradeRequest

        code = alpaca_symbol(symbol)
        if code is None:
            raise UnknownSymbol(f"Alpaca's stock data does not carry {symbol} (US stocks and ETFs only).")
        trades = self._call(f"{symbol} latest trade", "get_stock_latest_trade",
                            StockLatestTradeRequest(symbol_or_symbols=[code], feed=DataFeed(self.feed)))
        trade = (trades or {}).get(code)
        if not trade:
            raise UnknownSymbol(f"Alpaca has no trade for {symbol}: the symbol may be wrong or not traded on "
                                f"{self.feed.upper()}.")
        import pandas as pd

        when = pd.Timestamp(trade["t"]).to_pydatetime()
        today = when.date()
        frames = self.histories([symbol], period=None, interval="1d", start=today - dt.timedelta(days=10), end=None)
        bars = frames.get(symbol)
        if bars is None or bars.empty:
            raise NoData(f"Alpaca returned no daily bars around {symbol}'s last trade.")
        price = float(trade["p"])
        fields = quote_from_bars(symbol, bars, exchange=f"{self.feed.upper()} via Alpaca",
                                 source=f"last {self.feed.upper()} trade", price=price, when=when.astimezone(dt.UTC))
        trade_day = pd.Timestamp(when).tz_convert("America/New_York").date()
        if bars.index[-1].date() < trade_day:  # no bar for the trade's day yet: the last bar's close is "previous"
            previous = float(bars["Close"].iloc[-1])
            fields.update(previous_close=previous, change=price - previous, change_pct=(price / previous - 1) * 100,
                          open=None, day_low=None, day_high=None, volume=None)
        fields["delay_minutes"] = 0 if self.feed == "iex" else None
        return fields
