"""Portfolio analytics from the account's real history: the daily equity snapshots of a workspace.

Not today's holdings rebased into the past: the curve is what the account was actually worth at
each day's snapshot. Every figure carries its period (first and last day, number of returns). Daily statistics
(volatility, beta, VaR) use only returns between snapshots one NYSE session apart: a return across a gap of
several sessions is not a "daily" return, so it is left out and the period says so.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

TRADING_DAYS = 252


@dataclass(frozen=True)
class Figure:
    name: str
    value: float | None  # None: not enough history
    period: str  # e.g. "2026-10-01 → 2026-11-20, 35 daily returns"
    unit: str = "%"
    appears: str = ""  # when a figure without a value will appear, e.g. "after 20 trading days"

    def text(self) -> str:
        if self.value is None:
            when = f"appears {self.appears}" if self.appears else "not available yet"
            return f"{self.name}: {when} ({self.period})"
        signed = not self.name.startswith("Concentration")  # a share of the portfolio has no sign
        if self.unit == "%":
            shown = f"{self.value:+.2f}%" if signed else f"{self.value:.1f}%"
        else:
            shown = f"${self.value:,.2f}" if self.unit == "$" else f"{self.value:.2f}"
        return f"{self.name}: {shown} ({self.period})"


@dataclass(frozen=True)
class Analytics:
    figures: tuple[Figure, ...]
    observed_at: str

    def markdown(self) -> str:
        lines = [f"**Performance and risk from your account's daily equity** (as of {self.observed_at})", ""]
        return "\n".join(lines + [f"- {f.text()}" for f in self.figures])

    def to_dict(self) -> dict:
        return {"observed_at": self.observed_at,
                "figures": [{"name": f.name, "value": f.value, "period": f.period, "unit": f.unit}
                            for f in self.figures]}


def portfolio_analytics(equity: Sequence[tuple[str, float]], benchmark: Sequence[tuple[str, float]],
                        weights: dict[str, float], observed_at: str, benchmark_name: str = "SPY",
                        is_session: Callable[[dt.date], bool] | None = None) -> Analytics:
    """`equity`: (day, equity) per day, oldest first; `benchmark`: (day, close); `weights`: symbol -> market value.

    Volatility, beta and VaR are daily statistics, so they use only the returns between snapshots one trading
    session apart; a return across a gap (days nobody recorded, or a weekend snapshot) is left out and the
    figure's period says how many. `is_session` tells trading days (default: the NYSE calendar)."""
    days = [d for d, _ in equity]
    values = np.array([v for _, v in equity], dtype=float)
    returns = values[1:] / values[:-1] - 1 if len(values) > 1 else np.array([])
    one_session = np.array(_one_session_apart(days, is_session), dtype=bool)
    daily = returns[one_session] if len(returns) else returns
    left_out = len(returns) - len(daily)
    period = f"{days[0]} → {days[-1]}, {len(daily)} daily returns" if days else "no snapshots yet"
    if left_out:
        period += (f"; {left_out} return{'s' if left_out != 1 else ''} across a gap (not one trading session "
                   "apart) left out")
    enough = len(daily) >= 2
    figures = [Figure("Return", _pct(values[-1] / values[0] - 1) if len(values) > 1 else None,
                      f"{days[0]} → {days[-1]}, {len(days)} snapshot{'s' if len(days) != 1 else ''}, "
                      f"{len(daily)} daily returns" if days else "no snapshots yet",
                      appears="after the second trading day")]

    closes = dict(benchmark)
    common = [d for d in days if d in closes]
    if len(common) > 1:
        figures.append(Figure(f"{benchmark_name} return", _pct(closes[common[-1]] / closes[common[0]] - 1),
                              f"{common[0]} → {common[-1]}"))
    else:
        figures.append(Figure(f"{benchmark_name} return", None, f"no {benchmark_name} closes on snapshot days",
                              appears="after the second trading day"))

    figures.append(Figure("Volatility (annualized)", _pct(float(np.std(daily, ddof=1)) * math.sqrt(TRADING_DAYS))
                          if enough else None, period, appears="after 3 trading days in a row"))
    figures.append(Figure(f"Beta vs {benchmark_name}", _beta(days, values, closes, one_session), period, unit="",
                          appears="after 3 trading days in a row"))
    var = -float(np.percentile(daily, 5)) * float(values[-1]) if len(daily) >= 20 else None
    figures.append(Figure("95% one-day VaR (historical)", var,
                          period if var is not None else f"needs 20 daily returns, have {len(daily)}"
                          + (f" ({left_out} across gaps left out)" if left_out else ""), unit="$",
                          appears="after 20 trading days"))
    figures.append(Figure("Max drawdown", _pct(_max_drawdown(values)) if len(values) > 1 else None,
                          f"{days[0]} → {days[-1]}, {len(days)} snapshots" if days else "no snapshots yet",
                          appears="after the second trading day"))
    total = sum(weights.values())
    if total > 0:
        top, value = max(weights.items(), key=lambda kv: kv[1])
        hhi = sum((v / total) ** 2 for v in weights.values())
        figures.append(Figure(f"Concentration: largest position {top}", _pct(value / total), f"now, of invested "
                              f"value; HHI {hhi:.2f} across {len(weights)} positions"))
    else:
        figures.append(Figure("Concentration", None, "no open positions now", appears="once you hold a position"))
    return Analytics(tuple(figures), observed_at)


def _one_session_apart(days: Sequence[str], is_session: Callable[[dt.date], bool] | None) -> list[bool]:
    """For each consecutive pair of snapshot days: exactly one trading session in (earlier, later]."""
    if is_session is None:
        from market.calendar import exchange_calendar

        is_session = exchange_calendar().is_session
    flags = []
    for earlier, later in zip(days, days[1:]):
        start, end = dt.date.fromisoformat(earlier), dt.date.fromisoformat(later)
        sessions, day = 0, start
        while day < end and sessions < 2:
            day += dt.timedelta(days=1)
            sessions += bool(is_session(day))
        flags.append(sessions == 1)
    return flags


def _pct(fraction: float) -> float:
    return round(100 * fraction, 4)


def _max_drawdown(values: np.ndarray) -> float:
    peaks = np.maximum.accumulate(values)
    return float(np.min(values / peaks - 1))


def _beta(days: list[str], values: np.ndarray, closes: dict[str, float], one_session: np.ndarray) -> float | None:
    """Over the one-session returns whose two days both have a benchmark close."""
    pairs = [(values[i + 1] / values[i] - 1, closes[days[i + 1]] / closes[days[i]] - 1)
             for i in range(len(days) - 1) if one_session[i] and days[i] in closes and days[i + 1] in closes]
    if len(pairs) < 2:
        return None
    r, m = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    variance = float(np.var(m, ddof=1))
    return round(float(np.cov(r, m, ddof=1)[0, 1]) / variance, 4) if variance > 0 else None
