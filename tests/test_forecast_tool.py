"""forecast_price tool and /forecast on recorded Yahoo histories (offline replay)."""

from __future__ import annotations

import numpy as np
import pytest

from chat.commands import CommandContext, all_commands, dispatch
from chat.session import Session
from core.errors import UserError
from core.settings import load_settings
from forecast import forecast_price
from market.client import MarketData
from standins.yahoo import YahooReplay
from tests.harness import runtime_for
from tools.forecast import ForecastPriceTool

pytestmark = pytest.mark.filterwarnings("ignore::Warning")


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    import yfinance as yf

    yf.set_tz_cache_location(str(tmp_path_factory.mktemp("yf-tz")))
    with YahooReplay() as server:
        yield MarketData(base_url=server.url, timeout_s=3.0)


@pytest.fixture(scope="module")
def ctx(market):
    settings = load_settings({"YAHOO_BASE_URL": market.base_url}, dotenv_path=None)
    return CommandContext(session=Session(id="s"), runtime=runtime_for(settings, market))


def test_tool_returns_structured_data_led_by_the_verdict_and_shows_a_fan_chart(market):
    shown = []
    tool = ForecastPriceTool(data_client=market, on_figure=lambda figure, title: shown.append((figure, title)))
    result = tool(symbol="aapl", horizon=10)
    assert result["symbol"] == "AAPL" and result["as_of"] == "2020-12-31" and "Yahoo Finance" in result["source"]
    assert result["summary"].startswith(f"AAPL 10-trading day forecast — {result['verdict']}")
    assert result["verdict"].startswith(("no skill", "measured edge")) and "over 40 windows" in result["verdict"]
    assert len(result["forecast"]) == 10 and result["evaluation"]["windows"] == 40
    widths = [row["upper95"] - row["lower95"] for row in result["forecast"]]
    assert all(b > a for a, b in zip(widths, widths[1:]))  # the fan widens with the horizon
    [(figure, title)] = shown
    assert title == "AAPL 10-bar daily forecast"
    names = [trace.name for trace in figure.data]
    assert {"Close", "80% interval", "95% interval", "naive (tomorrow = today)", "drift"} <= set(names)


def test_tool_errors_are_answers_for_the_model(market):
    tool = ForecastPriceTool(data_client=market)  # smolagents shows the model a tool's UserError message
    with pytest.raises(UserError, match="^A horizon of 90 bars is outside 1 to 60"):
        tool(symbol="AAPL", horizon=90)
    with pytest.raises(UserError, match="^BTC-USD has only 3 daily closes; a 5-trading day forecast needs at least"):
        tool(symbol="BTC-USD", horizon=5)


def test_forecasts_are_cached_per_last_bar(market):
    first = forecast_price(market, "GOOG", 5)
    assert forecast_price(market, "goog", 5) is first
    assert forecast_price(market, "GOOG", 6) is not first


def test_weekly_forecast_on_a_long_recording(market):
    result = forecast_price(market, "TSLA", 8, "weekly")
    assert result.interval == "weekly" and result.as_of.isoformat() == "2023-08-11"
    assert all(d.weekday() == 4 for d in result.dates)  # Fridays
    assert 240 <= len(result.history) <= 262 and np.isfinite(result.evaluation.mase)


def test_slash_forecast_gives_the_verdict_then_the_chart(ctx):
    assert "forecast" in all_commands()
    summary, figure = dispatch("/forecast AMZN 5 daily", ctx)
    assert summary.content.startswith("AMZN 5-trading day forecast — ") and "80% interval" in summary.content
    assert figure.kind == "chart" and figure.title == "AMZN 5-bar daily forecast"
    [error] = dispatch("/forecast AMZN 0", ctx)
    assert error.kind == "error" and "outside 1 to 60" in error.content and "Usage: `/forecast SYMBOL" in error.content
    [error] = dispatch("/forecast AMZN 5 hourly", ctx)
    assert error.kind == "error" and "use daily or weekly" in error.content
