"""The portfolio view: holdings and P&L as a table, allocation and performance against a benchmark as plotly charts.

Performance is "today's holdings, held over the recent past" (rebased to 100)
against the benchmark (SPY by default), from daily closes supplied by
`history_of(symbol)`. It answers "how has what I own done versus the market",
and needs nothing but public price history. Missing history never breaks the
view: the chart is skipped with a note.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from core.chart_style import NEUTRAL, styled
from trading import views
from trading.broker import Account, Position
from trading.outcomes import PortfolioView

BENCHMARK = "SPY"


def closes(history) -> pd.Series | None:
    """Daily closes from whatever the market-data client returns (DataFrame with Close, Series, or None)."""
    if history is None:
        return None
    frame = getattr(history, "frame", None)
    if frame is not None:
        history = frame
    if isinstance(history, pd.DataFrame):
        for column in ("Close", "close", "Adj Close", "adjclose"):
            if column in history.columns:
                history = history[column]
                break
        else:
            return None
    if not isinstance(history, pd.Series):
        return None
    series = pd.to_numeric(history, errors="coerce").dropna()
    if series.empty:
        return None
    index = pd.to_datetime(series.index, utc=True)
    series.index = index.normalize().tz_localize(None)
    return series[~series.index.duplicated(keep="last")].sort_index()


def allocation_figure(positions: list[Position], cash: float) -> go.Figure:
    labels = [p.symbol for p in positions if p.market_value > 0] + (["Cash"] if cash > 0 else [])
    values = [p.market_value for p in positions if p.market_value > 0] + ([cash] if cash > 0 else [])
    fig = go.Figure(go.Pie(labels=labels, values=values, hole=0.45, textinfo="label+percent"))
    return styled(fig, title="Allocation", height=360)


def performance_series(positions: list[Position], history_of: Callable[[str], object]) -> pd.Series | None:
    """Value of today's holdings over the history window, rebased to 100 (None when no history is available)."""
    parts = []
    for p in positions:
        try:
            series = closes(history_of(p.symbol))
        except Exception:
            series = None
        if series is None:
            return None
        parts.append(series * p.qty)
    if not parts:
        return None
    value = pd.concat(parts, axis=1).sort_index().ffill().dropna().sum(axis=1)
    if value.empty or value.iloc[0] <= 0:
        return None
    return value / value.iloc[0] * 100


def performance_figure(portfolio: pd.Series, benchmark: pd.Series | None, benchmark_symbol: str) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=portfolio.index, y=portfolio.values, name="Current holdings", mode="lines"))
    if benchmark is not None:
        aligned = benchmark[benchmark.index >= portfolio.index[0]]
        if not aligned.empty:
            fig.add_trace(go.Scatter(x=aligned.index, y=aligned / aligned.iloc[0] * 100, name=benchmark_symbol,
                                     mode="lines", line=dict(dash="dash", color=NEUTRAL)))
    return styled(fig, title=f"Current holdings vs {benchmark_symbol} (rebased to 100)", height=360,
                  yaxis_title="index", hovermode="x unified")


def portfolio_view(account: Account, positions: list[Position], mode: str, *, realized_pl: float | None = None,
                   history_of: Callable[[str], object] | None = None,
                   benchmark_symbol: str = BENCHMARK) -> PortfolioView:
    """The /portfolio answer: a holdings table with P&L, an allocation chart and performance against the benchmark."""
    unrealized = sum(p.unrealized_pl for p in positions)
    summary = (f"**Portfolio** ({mode}) · equity {views.money(account.equity)} · cash {views.money(account.cash)} · "
               f"unrealized P&L {views.money(unrealized)}"
               + (f" · realized P&L {views.money(realized_pl)}" if realized_pl is not None else ""))
    summary += "\n\n" + views.positions_text(positions)
    allocation = allocation_figure(positions, account.cash) if positions or account.cash > 0 else None
    if not positions:
        return PortfolioView(summary, allocation, benchmark=benchmark_symbol)
    if history_of is None:
        return PortfolioView(summary, allocation, benchmark=benchmark_symbol,
                             notes=("Performance chart unavailable: no price history source.",))
    perf = performance_series(positions, history_of)
    if perf is None:
        return PortfolioView(summary, allocation, benchmark=benchmark_symbol,
                             notes=("Performance chart unavailable: no price history for every holding.",))
    try:
        bench = closes(history_of(benchmark_symbol))
    except Exception:
        bench = None
    notes = () if bench is not None else (f"Benchmark {benchmark_symbol} history unavailable; showing holdings only.",)
    performance = performance_figure(perf, bench, benchmark_symbol)
    return PortfolioView(summary, allocation, performance, benchmark_symbol, notes)
