"""The one look of every chart the app draws: prices, performance, forecasts, backtests, the portfolio, news reactions.

`styled(figure, ...)` gives a plotly figure the app's template and its size. The template is small on purpose: it
travels inside every figure's JSON (plotly's own "plotly_white" is 6.5 KB a chart). Backgrounds are transparent,
so a chart takes its chat bubble's light or dark background; the page's CSS (ui/page.py) colours text and grid
lines in dark mode. Trace colours are mid-tones that read on both. Margins grow with the axis labels
(`automargin`), so the last date label is never cut, and the legend sits above the plot, not beside it, so a chart
keeps its width on a phone.
"""

from __future__ import annotations

from functools import cache
from typing import Any

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
COLORWAY = ("#1e88e5", "#f4511e", "#43a047", "#8e24aa", "#fb8c00", "#00897b", "#d81b60", "#6d4c41")
NEUTRAL = "#64748b"  # a line or marker that must read on white and on the dark bubble alike (closes, exits)
UP, DOWN = "#26a69a", "#ef5350"
GRID = "rgba(128,128,128,0.18)"
MARGIN = {"l": 48, "r": 24, "t": 40, "b": 32}  # the title and a top legend push the top as needed


@cache
def chart_template():
    """The app's plotly layout template (built once; plotly is imported only when a chart is drawn)."""
    import plotly.graph_objects as go

    axis = {"gridcolor": GRID, "zerolinecolor": GRID, "linecolor": GRID, "automargin": True,
            "title": {"standoff": 8}}
    return go.layout.Template(layout={
        "font": {"family": FONT, "size": 12, "color": "#27272a"},
        # the title keeps its own room at the top (automargin), so a legend wrapped over several rows on a phone
        # sits under it instead of over it
        "title": {"font": {"size": 14}, "x": 0.01, "xanchor": "left", "automargin": True, "yref": "container",
                  "y": 1, "yanchor": "top", "pad": {"t": 6}},
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "colorway": list(COLORWAY),
        "xaxis": axis, "yaxis": axis,
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "bgcolor": "rgba(0,0,0,0)",
                   "traceorder": "normal"},
        "hoverlabel": {"font": {"family": FONT}},
        "margin": MARGIN,
    })


def styled(figure, *, title: Any = None, height: int, **layout):
    """`figure` with the app's template, its title and height, and any other layout keys given."""
    figure.update_layout(template=chart_template(), height=height, **({"title": title} if title is not None else {}),
                         **layout)
    return figure
