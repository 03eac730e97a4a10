"""The fan chart: recent closes, the forecast with its 80% and 95% bands, and the two baselines."""

from __future__ import annotations

import plotly.graph_objects as go

from core.chart_style import NEUTRAL, styled
from forecast.service import Forecast

FAN_SHARE = 0.4  # the forecast takes at least this share of the chart's width (issue 23: the fan had no room)


def fan_figure(forecast: Forecast, history_bars: int | None = None) -> go.Figure:
    """Recent closes and the fan. Unless told otherwise, it shows 1.5 bars of history per bar ahead (at least 20), so
    the forecast has about 40% of the width rather than a sliver at the right edge."""
    default_history = max(20, round(forecast.horizon * (1 - FAN_SHARE) / FAN_SHARE))
    shown = forecast.history.iloc[-(history_bars or default_history):]
    index = shown.index.tz_localize(None) if getattr(shown.index, "tz", None) is not None else shown.index
    past = [d.strftime("%Y-%m-%d") for d in index]
    ahead = [d.isoformat() for d in forecast.dates]
    anchor_x, anchor_y = past[-1:], [round(forecast.last_close, 4)]
    x = anchor_x + ahead
    p = forecast.path

    def joined(values) -> list[float]:
        return anchor_y + [round(float(v), 4) for v in values]

    figure = go.Figure()
    figure.add_trace(go.Scatter(x=past, y=shown.round(4).tolist(), mode="lines", name="Close",
                                line={"color": NEUTRAL, "width": 1.5}))
    for level, color in (("95", "rgba(30,136,229,0.15)"), ("80", "rgba(30,136,229,0.30)")):
        figure.add_trace(go.Scatter(x=x, y=joined(getattr(p, f"upper{level}")), mode="lines", line={"width": 0},
                                    showlegend=False, hoverinfo="skip"))
        figure.add_trace(go.Scatter(x=x, y=joined(getattr(p, f"lower{level}")), mode="lines", line={"width": 0},
                                    fill="tonexty", fillcolor=color, name=f"{level}% interval"))
    figure.add_trace(go.Scatter(x=x, y=joined(p.point), mode="lines", name=f"forecast ({forecast.method.split()[0]})",
                                line={"color": "#1e88e5", "width": 2}))
    figure.add_trace(go.Scatter(x=x, y=joined(forecast.naive), mode="lines", name="naive (tomorrow = today)",
                                line={"color": NEUTRAL, "dash": "dash", "width": 1}))
    figure.add_trace(go.Scatter(x=x, y=joined(forecast.drift), mode="lines", name="drift",
                                line={"color": "#8d6e63", "dash": "dot", "width": 1}))
    verdict = forecast.evaluation.verdict.split(":")[0]
    return styled(figure, title=f"{forecast.symbol} {forecast.horizon}-bar {forecast.interval} forecast ({verdict}), "
                                f"data to {forecast.as_of}", height=420, hovermode="x unified")
