"""The fan chart: recent closes, the forecast with its 80% and 95% bands, and the two baselines."""

from __future__ import annotations

import plotly.graph_objects as go

from forecast.service import Forecast


def fan_figure(forecast: Forecast, history_bars: int | None = None) -> go.Figure:
    shown = forecast.history.iloc[-(history_bars or max(60, 3 * forecast.horizon)):]
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
                                line={"color": "#37474f", "width": 1.5}))
    for level, color in (("95", "rgba(30,136,229,0.15)"), ("80", "rgba(30,136,229,0.30)")):
        figure.add_trace(go.Scatter(x=x, y=joined(getattr(p, f"upper{level}")), mode="lines", line={"width": 0},
                                    showlegend=False, hoverinfo="skip"))
        figure.add_trace(go.Scatter(x=x, y=joined(getattr(p, f"lower{level}")), mode="lines", line={"width": 0},
                                    fill="tonexty", fillcolor=color, name=f"{level}% interval"))
    figure.add_trace(go.Scatter(x=x, y=joined(p.point), mode="lines", name=f"forecast ({forecast.method.split()[0]})",
                                line={"color": "#1e88e5", "width": 2}))
    figure.add_trace(go.Scatter(x=x, y=joined(forecast.naive), mode="lines", name="naive (tomorrow = today)",
                                line={"color": "#9e9e9e", "dash": "dash", "width": 1}))
    figure.add_trace(go.Scatter(x=x, y=joined(forecast.drift), mode="lines", name="drift",
                                line={"color": "#8d6e63", "dash": "dot", "width": 1}))
    verdict = forecast.evaluation.verdict.split(":")[0]
    figure.update_layout(title=f"{forecast.symbol} {forecast.horizon}-bar {forecast.interval} forecast ({verdict}), "
                               f"data to {forecast.as_of}",
                         height=420, margin={"l": 40, "r": 20, "t": 50, "b": 30}, legend={"orientation": "h"},
                         hovermode="x unified")
    return figure
