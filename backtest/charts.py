"""The equity curve + drawdown chart with trade markers, as a plotly figure for the chat."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from backtest.engine import BacktestResult
from backtest.metrics import drawdown
from core.chart_style import DOWN, NEUTRAL, UP, styled

MAX_MARKERS = 400  # beyond this, markers are dropped (the curve still shows every bar)


def equity_chart(result: BacktestResult, title: str, split_time=None) -> go.Figure:
    """Strategy vs buy-and-hold equity (growth of 1), trade entries/exits, and the drawdown below.

    `split_time`, when given, draws the in-sample / out-of-sample boundary.
    """
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], vertical_spacing=0.04,
                           subplot_titles=("Equity (growth of 1)", "Drawdown"))
    equity = result.equity
    figure.add_trace(go.Scatter(x=equity.index, y=equity.values, name="strategy", line={"width": 2}), row=1, col=1)
    if result.benchmark_equity is not None:
        base = result.benchmark_equity
        figure.add_trace(go.Scatter(x=base.index, y=base.values, name="buy & hold",
                                    line={"width": 1, "dash": "dot", "color": NEUTRAL}), row=1, col=1)
    trades = result.trades.head(MAX_MARKERS)
    if len(trades):
        for side, symbol, color in (("long", "triangle-up", UP), ("short", "triangle-down", DOWN)):
            chosen = trades[trades["side"] == side]
            if len(chosen):
                figure.add_trace(go.Scatter(
                    x=chosen["entry_time"], y=equity.reindex(chosen["entry_time"]).values, mode="markers",
                    name=f"{side} entry", marker={"symbol": symbol, "size": 9, "color": color},
                    hovertext=[f"{side} @ {p:.2f}" for p in chosen["entry_price"]]), row=1, col=1)
        figure.add_trace(go.Scatter(
            x=trades["exit_time"], y=equity.reindex(trades["exit_time"]).values, mode="markers", name="exit",
            marker={"symbol": "x", "size": 8, "color": NEUTRAL},
            hovertext=[f"{r} @ {p:.2f} ({ret:+.1%})" for r, p, ret in
                       zip(trades["exit_reason"], trades["exit_price"], trades["return"])]), row=1, col=1)
    dd = drawdown(equity)
    figure.add_trace(go.Scatter(x=dd.index, y=dd.values * 100, name="drawdown %", fill="tozeroy",
                                line={"color": DOWN, "width": 1}), row=2, col=1)
    if split_time is not None:
        figure.add_vline(x=split_time, line_dash="dash", line_color="orange")
        figure.add_annotation(x=split_time, y=1, yref="paper", text="out-of-sample →", showarrow=False,
                              xanchor="left", font={"color": "orange"})
    figure.update_yaxes(title_text="%", row=2, col=1)
    return styled(figure, title=title, height=560, hovermode="x unified", margin={"t": 70},
                  legend={"y": -0.08, "yanchor": "top"})
