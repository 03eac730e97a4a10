"""Real browser: `/chart AAPL` renders an interactive plotly candlestick chart inside the chat."""

from __future__ import annotations

import pytest

from standins.live_app import running_app
from standins.scripted_model import ScriptedModel
from tests.browser import browser_page, send_message

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::Warning")]  # Debian's chromium (Playwright)


def no_llm_team():
    # Slash commands never reach a model; these would fail the test if they were asked anything.
    return {"manager": ScriptedModel([AssertionError("a slash command reached the model")]),
            "web_agent": ScriptedModel(), "trader": ScriptedModel()}


def test_chart_command_draws_an_interactive_candlestick_chart(tmp_path):
    with running_app(tmp_path, no_llm_team) as (url, _stack, _demo), browser_page(url) as page:
        send_message(page, "/chart AAPL 1y sma50 rsi")
        plot = page.locator("#chatbot .js-plotly-plot").first
        plot.wait_for(state="visible")
        # Drawn, not just mounted: plotly's SVG has candlestick boxes, volume bars and the RSI line.
        page.wait_for_function(
            "() => document.querySelectorAll('#chatbot .js-plotly-plot .trace.boxes path').length > 0")
        boxes = page.locator("#chatbot .js-plotly-plot .trace.boxes path").count()
        bars = page.locator("#chatbot .js-plotly-plot .trace.bars .point").count()
        assert boxes > 200 and bars > 200  # ~253 daily bars of AAPL 2020
        # Interactive: plotly's modebar (zoom, pan, reset) is attached and hover is wired.
        assert page.locator("#chatbot .js-plotly-plot .modebar").count() >= 1
        box = plot.bounding_box()
        assert box["height"] > 300
        page.screenshot(path=str(tmp_path / "chart.png"), full_page=True)


def test_chart_uses_the_width_of_the_chat(tmp_path):
    with running_app(tmp_path, no_llm_team) as (url, _stack, _demo), browser_page(url) as page:
        send_message(page, "/chart MSFT 6mo")
        plot = page.locator("#chatbot .js-plotly-plot").first
        plot.wait_for(state="visible")
        assert plot.bounding_box()["width"] > 600
