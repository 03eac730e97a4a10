"""Every chart the app draws has one look: the app's template (small, transparent backgrounds so the page's light
or dark theme shows through), whatever built it: /chart, /compare, /forecast, /backtest, /portfolio, /news.

Driven through the real commands against the Yahoo replay (issue 23: the portfolio's charts used another style than
the candlesticks, charts stayed white in dark mode, the forecast fan was squeezed against the right edge).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from app import SmolTraderApp
from chat.messages import is_figure
from chat.session import Session
from core.chart_style import chart_template
from standins.scripted_model import ScriptedModel
from tests.harness import local_stack, run_turn

pytestmark = [pytest.mark.filterwarnings("ignore::Warning"), pytest.mark.slow]


def team():
    return {"manager": ScriptedModel(), "web_agent": ScriptedModel(), "trader": ScriptedModel()}


def figures_of(items) -> list[dict]:
    return [item.content.to_plotly_json() for item in items if is_figure(item.content)]


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """The figures each command drew, by command."""
    with local_stack(tmp_path_factory.mktemp("charts")) as stack:
        app = SmolTraderApp(stack.settings, stack.runtime, model_factory=team)
        try:
            session = Session(id="tab-1")
            app.binding.bind(session, None)
            out: dict[str, list[dict]] = {}
            for command in ("/chart AAPL 1y sma50 rsi macd", "/compare AAPL MSFT 1y", "/forecast AAPL 10",
                            "/backtest TSLA sma_cross fast=20 slow=50 10y", "/news AAPL"):
                out[command.split()[0]] = figures_of(run_turn(app.chat, session, command)[-1])
            [card] = run_turn(app.chat, session, "/buy 2 AAPL limit 1000")[-1]
            run_turn(app.chat, session, f"/confirm {card.extra['ticket']['id']}")
            out["/portfolio"] = figures_of(run_turn(app.chat, session, "/portfolio")[-1])
            yield out
        finally:
            app.close()


def test_every_command_chart_uses_the_one_small_template(drawn):
    template = json.loads(json.dumps(chart_template().to_plotly_json()))
    for command in ("/chart", "/compare", "/forecast", "/backtest", "/portfolio"):
        assert drawn[command], f"{command} drew no chart"
    seen = 0
    for command, figures in drawn.items():
        for figure in figures:
            layout = json.loads(json.dumps(figure["layout"], default=str))
            assert layout["template"] == template, f"{command}: another template"
            for key in ("paper_bgcolor", "plot_bgcolor"):  # set only by the template: the theme shows through
                assert key not in layout, f"{command} sets its own {key}"
            assert len(json.dumps(layout["template"])) < 1_500  # it travels with every chart
            seen += 1
    assert seen >= 6


def test_the_template_is_transparent_and_has_room_for_labels():
    layout = chart_template().layout
    assert layout.paper_bgcolor == "rgba(0,0,0,0)" and layout.plot_bgcolor == "rgba(0,0,0,0)"
    assert layout.xaxis.automargin and layout.yaxis.automargin  # the last date label is never cut
    assert layout.legend.orientation == "h"  # above the plot, not beside it: a chart keeps its width on a phone


def test_the_forecast_fan_has_room(drawn):
    [figure] = drawn["/forecast"]
    close = next(trace for trace in figure["data"] if trace.get("name") == "Close")
    ahead = next(trace for trace in figure["data"] if str(trace.get("name", "")).startswith("forecast"))
    day = dt.date.fromisoformat
    start, last, end = day(close["x"][0]), day(ahead["x"][0]), day(str(ahead["x"][-1])[:10])
    share = (end - last) / (end - start)
    assert share >= 0.3, f"the fan takes only {share:.0%} of the chart's width"
