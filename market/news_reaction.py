"""How the price actually moved after each headline: measured, not guessed (issue 17).

For a headline published at time T (US/Eastern, regular close 16:00):
- the close before is the last session close at or before T;
- the reaction session is the first session whose close comes after T (a
  headline on a weekend, a holiday or after the close maps to the next session);
- the return runs from the close before to the reaction session's close, and the
  abnormal return is that minus the benchmark's (SPY) return over the same two closes.
Closes are Yahoo's daily closes adjusted for splits and dividends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd

EXCHANGE_TZ = ZoneInfo("America/New_York")
CLOSE_TIME = dt.time(16, 0)
BENCHMARK = "SPY"
SOURCE = "Yahoo Finance via yfinance (daily closes adjusted for splits and dividends)"


@dataclass(frozen=True)
class HeadlineReaction:
    title: str
    publisher: str
    link: str
    published: dt.datetime | None  # UTC
    close_before_date: dt.date | None
    reaction_date: dt.date | None  # the session whose close is the first after publication
    close_before: float | None
    close_after: float | None
    return_pct: float | None
    benchmark_return_pct: float | None
    abnormal_pct: float | None
    note: str  # why a figure is missing, "" when all are there


@dataclass(frozen=True)
class NewsReaction:
    symbol: str
    benchmark: str
    rows: tuple[HeadlineReaction, ...]
    benchmark_note: str  # "" when the benchmark's closes were available
    as_of: dt.date  # last daily bar used
    closes: pd.Series  # the stock's closes by session date, for the chart
    source: str = SOURCE

    def markdown(self) -> str:
        def pct(value):
            return "n/a" if value is None else f"{value:+.2f}%"

        lines = [f"| published (UTC) | reaction session | {self.symbol} | {self.benchmark} | abnormal | headline |",
                 "|---|---|---:|---:|---:|---|"]
        for row in self.rows:
            when = row.published.strftime("%Y-%m-%d %H:%M") if row.published else "unknown"
            session = str(row.reaction_date) if row.reaction_date else (row.note or "n/a")
            title = " ".join(row.title.replace("|", "/").replace("[", "(").replace("]", ")").split())[:120]
            lines.append(f"| {when} | {session} | {pct(row.return_pct)} | {pct(row.benchmark_return_pct)} | "
                         f"{pct(row.abnormal_pct)} | {title} |")
        notes = [self.benchmark_note] if self.benchmark_note else []
        notes.append(f"Return: close before publication to the first close after it; abnormal = that minus "
                     f"{self.benchmark}'s over the same closes. Measured on {self.source}, last bar {self.as_of}. "
                     "One day's move has many causes: this is what happened, not proof the headline caused it.")
        return "\n".join(lines) + "\n\n" + "\n\n".join(notes)


def _session_closes(frame_or_series) -> pd.Series:
    closes = frame_or_series["Close"] if isinstance(frame_or_series, pd.DataFrame) else frame_or_series
    index = pd.DatetimeIndex(closes.index)
    if index.tz is not None:
        index = index.tz_convert(EXCHANGE_TZ).tz_localize(None)
    series = pd.Series(closes.to_numpy(dtype=float), index=pd.Index([d.date() for d in index]))
    return series[~series.index.duplicated(keep="last")].sort_index()


def reaction_sessions(published: dt.datetime, sessions: list[dt.date]) -> tuple[dt.date | None, dt.date | None]:
    """(session of the close before publication, session of the first close after it), None when outside."""
    aware = published if published.tzinfo else published.replace(tzinfo=dt.UTC)
    local = aware.astimezone(EXCHANGE_TZ)
    day = local.date()
    # a close on `day` happened before publication only if the headline came at or after 16:00
    before = [s for s in sessions if s < day or (s == day and local.time() >= CLOSE_TIME)]
    after = [s for s in sessions if s > day or (s == day and local.time() < CLOSE_TIME)]
    return (before[-1] if before else None), (after[0] if after else None)


def _change(closes: pd.Series, start: dt.date, end: dt.date) -> float | None:
    if start not in closes.index or end not in closes.index:
        return None
    return (float(closes[end]) / float(closes[start]) - 1.0) * 100.0


def measure_reactions(symbol: str, headlines: list[dict], history, benchmark_history=None,
                      benchmark: str = BENCHMARK, benchmark_error: str | None = None) -> NewsReaction:
    """Measure each headline's price reaction on `history` (daily bars) against `benchmark_history`."""
    closes = _session_closes(history)
    sessions = list(closes.index)
    bench = _session_closes(benchmark_history) if benchmark_history is not None else None
    bench_note = "" if bench is not None else (
        f"{benchmark} data is missing, so abnormal returns are not computed: "
        f"{benchmark_error or 'it was not fetched.'}")
    rows = []
    for item in headlines:
        published = item.get("time")
        base = dict(title=str(item.get("title", "")), publisher=str(item.get("publisher", "")),
                    link=str(item.get("link", "")), published=published)
        if published is None:
            rows.append(HeadlineReaction(**base, close_before_date=None, reaction_date=None, close_before=None,
                                         close_after=None, return_pct=None, benchmark_return_pct=None,
                                         abnormal_pct=None, note="publication time unknown"))
            continue
        start, end = reaction_sessions(published, sessions)
        note = ("before the loaded history" if start is None else
                "no close after publication yet" if end is None else "")
        change = _change(closes, start, end) if not note else None
        bench_change = _change(bench, start, end) if bench is not None and not note else None
        if not note and bench is not None and bench_change is None:
            note = f"{benchmark} has no close for these sessions"
        rows.append(HeadlineReaction(
            **base, close_before_date=start, reaction_date=end,
            close_before=None if start is None else float(closes[start]),
            close_after=None if end is None else float(closes[end]),
            return_pct=change, benchmark_return_pct=bench_change,
            abnormal_pct=None if change is None or bench_change is None else change - bench_change, note=note))
    return NewsReaction(symbol=symbol, benchmark=benchmark, rows=tuple(rows), benchmark_note=bench_note,
                        as_of=sessions[-1], closes=closes)


def news_reactions(market, symbol: str, count: int = 8, benchmark: str = BENCHMARK,
                   period: str = "6mo") -> NewsReaction:
    """Latest headlines for `symbol` from `market` (market.client.MarketData) with their measured reactions."""
    from market.client import normalize_symbol
    from market.errors import MarketDataError

    symbol = normalize_symbol(symbol)
    headlines = market.news(symbol, count)
    history = market.history(symbol, period=period)
    try:
        bench, bench_error = market.history(benchmark, period=period), None
    except MarketDataError as exc:
        bench, bench_error = None, exc.user_message
    return measure_reactions(symbol, headlines, history, bench, benchmark, bench_error)


def reaction_figure(reaction: NewsReaction, bars: int = 90):
    """Closes with a marker on each headline's reaction session (hover: the headline and its returns)."""
    import plotly.graph_objects as go

    from core.chart_style import DOWN, NEUTRAL, UP, styled

    measured = [r for r in reaction.rows if r.reaction_date is not None]
    first = min([r.reaction_date for r in measured], default=reaction.as_of)
    closes = reaction.closes
    shown = closes[closes.index >= min(first, closes.index[-min(bars, len(closes))])]
    figure = go.Figure(go.Scatter(x=[str(d) for d in shown.index], y=shown.round(4).tolist(), mode="lines",
                                  name=f"{reaction.symbol} close", line={"color": NEUTRAL, "width": 1.5}))
    if measured:
        def label(r: HeadlineReaction) -> str:
            move = "n/a" if r.return_pct is None else f"{r.return_pct:+.2f}%"
            abnormal = "" if r.abnormal_pct is None else f", abnormal {r.abnormal_pct:+.2f}%"
            return f"{r.title[:90]}<br>{r.reaction_date}: {move}{abnormal}"

        colors = [NEUTRAL if r.return_pct is None else UP if r.return_pct >= 0 else DOWN
                  for r in measured]
        figure.add_trace(go.Scatter(x=[str(r.reaction_date) for r in measured], y=[r.close_after for r in measured],
                                    mode="markers", name="headline", marker={"size": 10, "color": colors,
                                                                             "symbol": "diamond"},
                                    text=[label(r) for r in measured], hoverinfo="text"))
    return styled(figure, title=f"{reaction.symbol}: headlines and the price, data to {reaction.as_of}", height=360,
                  showlegend=False)
