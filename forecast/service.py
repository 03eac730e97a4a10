"""`forecast_price`: load closes, check the request, evaluate the method, forecast, cache the result.

The result is cached per (symbol, horizon, interval, windows, last bar): a new
bar makes a new forecast; asking again before that costs nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.errors import ForecastError
from forecast.evaluation import Evaluation, baselines, evaluate
from forecast.model import Path, forecast_path, rolling_origin
from market.cache import TTLCache

MAX_HORIZON = 60
DEFAULT_WINDOWS = 40
MIN_WINDOWS = 20
MIN_FIT_BARS = 60
SOURCE = "Yahoo Finance via yfinance (daily closes adjusted for splits and dividends)"
INTERVALS = {"daily": "daily", "1d": "daily", "d": "daily", "day": "daily",
             "weekly": "weekly", "1wk": "weekly", "w": "weekly", "week": "weekly"}
UNITS = {"daily": "trading day", "weekly": "week"}
FIT_BARS = {"daily": 750, "weekly": 260}  # about 3 years of days, 5 years of weeks
CACHE = TTLCache(max_entries=256)
CACHE_TTL_S = 86400.0


@dataclass(frozen=True)
class Forecast:
    symbol: str
    interval: str  # daily | weekly
    horizon: int
    method: str  # e.g. "ETS(A,N,N) on log prices (statsmodels)"
    as_of: dt.date  # the last bar used
    last_close: float
    dates: tuple[dt.date, ...]  # the forecast bars (business days / Fridays; exchange holidays not skipped)
    path: Path
    naive: np.ndarray
    drift: np.ndarray
    evaluation: Evaluation
    history: pd.Series  # closes used, for the chart
    source: str = SOURCE

    @property
    def summary(self) -> str:
        e, p, h = self.evaluation, self.path, self.horizon
        unit = UNITS[self.interval] + ("s" if h > 1 else "")
        hits = "n/a" if e.hit_rate is None else f"{e.hit_rate:.0%}"
        return (
            f"{self.symbol} {h}-{UNITS[self.interval]} forecast — {e.verdict}.\n"
            f"Forecast {h} {unit} after the last close {self.last_close:,.2f} on {self.as_of} "
            f"(about {self.dates[-1]}; "
            f"exchange holidays not skipped): "
            f"{p.point[-1]:,.2f}; 80% interval {p.lower80[-1]:,.2f} to {p.upper80[-1]:,.2f}; "
            f"95% interval {p.lower95[-1]:,.2f} to {p.upper95[-1]:,.2f}.\n"
            f"Evaluation on the last {e.windows} windows (rolling origin, no look-ahead): MAE model {e.mae:,.2f}, "
            f"naive {e.mae_naive:,.2f}, drift {e.mae_drift:,.2f} (drift MASE {e.mase_drift:.2f}); direction right "
            f"{hits} of the time (the price rose in {e.up_share:.0%} of windows); {e.coverage_text}.\n"
            f"Method: {self.method}. Data: {self.source}, last bar {self.as_of}."
        )

    def as_dict(self) -> dict:
        e, p = self.evaluation, self.path
        return {
            "symbol": self.symbol, "interval": self.interval, "horizon": self.horizon, "method": self.method,
            "as_of": self.as_of.isoformat(), "source": self.source, "last_close": round(self.last_close, 4),
            "verdict": e.verdict, "skill": e.skill,
            "forecast": [{"date": d.isoformat(), "point": round(float(p.point[i]), 4),
                          "lower80": round(float(p.lower80[i]), 4), "upper80": round(float(p.upper80[i]), 4),
                          "lower95": round(float(p.lower95[i]), 4), "upper95": round(float(p.upper95[i]), 4)}
                         for i, d in enumerate(self.dates)],
            "evaluation": {"windows": e.windows, "mae": round(e.mae, 4), "mae_naive": round(e.mae_naive, 4),
                           "mae_drift": round(e.mae_drift, 4), "mase": round(e.mase, 4),
                           "mase_drift": round(e.mase_drift, 4), "hit_rate": e.hit_rate,
                           "up_share": e.up_share, "coverage80": e.coverage80, "coverage95": e.coverage95},
            "summary": self.summary,
        }


def check_request(horizon, interval: str | None) -> tuple[int, str]:
    """(horizon, "daily" | "weekly"), or a ForecastError saying what is allowed."""
    try:
        steps = int(str(horizon).strip())
    except (TypeError, ValueError):
        raise ForecastError(
            f"The horizon {horizon!r} is not a whole number of bars; use 1 to {MAX_HORIZON}."
        ) from None
    if not 1 <= steps <= MAX_HORIZON:
        raise ForecastError(f"A horizon of {steps} bars is outside 1 to {MAX_HORIZON}: "
                            "forecasts further out are too wide to be useful.")
    kind = INTERVALS.get(str(interval or "daily").strip().lower())
    if kind is None:
        raise ForecastError(f"Unknown interval {interval!r}: use daily or weekly.")
    return steps, kind


def _future_dates(last: pd.Timestamp, horizon: int, interval: str) -> tuple[dt.date, ...]:
    freq = "B" if interval == "daily" else "W-FRI"
    return tuple(d.date() for d in pd.date_range(last + pd.Timedelta(days=1), periods=horizon, freq=freq))


def forecast_closes(closes: pd.Series, symbol: str, horizon: int = 5, interval: str = "daily",
                    windows: int = DEFAULT_WINDOWS) -> Forecast:
    """Evaluate and forecast a series of closes (oldest first, dated index)."""
    horizon, interval = check_request(horizon, interval)
    closes = closes.dropna()
    closes = closes[closes > 0].iloc[-FIT_BARS[interval]:]
    n, unit = len(closes), UNITS[interval]
    available = n - MIN_FIT_BARS - horizon + 1
    if available < MIN_WINDOWS:
        raise ForecastError(
            f"{symbol} has only {n} {interval} closes; a {horizon}-{unit} forecast needs at least "
            f"{MIN_FIT_BARS + MIN_WINDOWS + horizon - 1} ({MIN_FIT_BARS} to fit the model and {MIN_WINDOWS} "
            f"windows to evaluate it). Try a shorter horizon or daily bars.")
    windows = max(MIN_WINDOWS, min(int(windows), available))
    prices = closes.to_numpy(dtype=float)
    log_prices = np.log(prices)
    origins = list(range(n - horizon - windows, n - horizon))
    form, params, paths = rolling_origin(log_prices, horizon, origins)
    evaluation = evaluate(prices, origins, horizon, paths, unit)
    path = forecast_path(log_prices, horizon, form, start_params=params)
    naive, drift = baselines(log_prices, n - 1, horizon)
    last = pd.Timestamp(closes.index[-1])
    last = last.tz_localize(None) if last.tzinfo is not None else last
    return Forecast(symbol=symbol, interval=interval, horizon=horizon, method=f"{form} on log prices (statsmodels)",
                    as_of=last.date(), last_close=float(prices[-1]), dates=_future_dates(last, horizon, interval),
                    path=path, naive=naive, drift=drift, evaluation=evaluation, history=closes)


def weekly_closes(daily: pd.Series) -> pd.Series:
    """Last close of each week, dated by the week's last trading day."""
    index = daily.index.tz_localize(None) if getattr(daily.index, "tz", None) is not None else daily.index
    daily = pd.Series(daily.to_numpy(), index=index)
    weeks = daily.groupby(index.to_period("W-FRI"))
    return pd.Series(weeks.last().to_numpy(), index=pd.DatetimeIndex([g.index[-1] for _, g in weeks]))


def forecast_price(market, symbol: str, horizon: int = 5, interval: str = "daily",
                   windows: int = DEFAULT_WINDOWS) -> Forecast:
    """Forecast `symbol` from `market` (a market.client.MarketData); cached per last bar."""
    from market.client import normalize_symbol

    symbol = normalize_symbol(symbol)
    horizon, interval = check_request(horizon, interval)
    import dataclasses

    frame = market.history(symbol, period="5y", interval="1d")
    closes = frame["Close"]
    source = frame.attrs.get("source") or "Yahoo Finance"
    label = SOURCE if source == "Yahoo Finance" else (
        f"{source} (daily closes {frame.attrs.get('adjustment') or 'adjusted'}; {frame.attrs.get('delay') or ''})")
    if interval == "weekly":
        closes = weekly_closes(closes)
    key = ("forecast", symbol, horizon, interval, int(windows), str(closes.index[-1]), len(closes), source)
    return CACHE.get_or_fetch(key, CACHE_TTL_S, lambda: dataclasses.replace(
        forecast_closes(closes, symbol, horizon, interval, windows), source=label))
