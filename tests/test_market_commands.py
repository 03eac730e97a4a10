"""/quote, /chart, /compare, /news, /fundamentals: answered by code with no LLM configured."""

from __future__ import annotations

import json

import pytest

from chat.commands import CommandContext, dispatch
from chat.session import Session
from core.settings import load_settings
from market.client import MarketData
from standins.yahoo import YahooReplay
from tests.harness import runtime_for

pytestmark = pytest.mark.filterwarnings("ignore::Warning")


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    import yfinance as yf

    yf.set_tz_cache_location(str(tmp_path_factory.mktemp("yf-tz")))
    with YahooReplay() as server:
        settings = load_settings({"MARKET_SOURCES": "yahoo", "MARKET_BAR_CACHE": "false",
                                  "MARKET_YAHOO_PER_MINUTE": "0",
                              "YAHOO_BASE_URL": server.url, "MARKET_TIMEOUT_S": "3"}, dotenv_path=None)
        assert not settings.model_id and not settings.hf_token  # no LLM anywhere
        yield CommandContext(session=Session(id="s"),
                             runtime=runtime_for(settings, MarketData.from_settings(settings)))


def test_quote(ctx):
    [item] = dispatch("/quote aapl", ctx)
    assert item.kind == "text" and "AAPL (Apple Inc.)" in item.content and "244.60" in item.content


def test_chart_is_an_interactive_plot_and_plotly_json_for_api_clients(ctx):
    [item] = dispatch("/chart AAPL 6mo sma20 rsi macd", ctx)
    assert item.kind == "chart" and item.title == "AAPL 6mo: sma20, rsi, macd · Yahoo Finance"
    payload = item.to_json()
    assert payload["kind"] == "chart" and payload["plotly"]["data"][0]["type"] == "candlestick"
    assert len(json.dumps(payload)) < 300_000
    import gradio as gr

    assert isinstance(item.to_gradio().content, gr.Plot)


def test_chart_defaults_and_bad_indicator(ctx):
    [item] = dispatch("/chart TSLA", ctx)
    assert item.kind == "chart" and item.title == "TSLA 1y: sma50 · Yahoo Finance"
    [item] = dispatch("/chart TSLA 1y wobble", ctx)
    assert item.kind == "error" and "Unknown indicator 'wobble'" in item.content and "Usage" in item.content
    [item] = dispatch("/chart", ctx)
    assert item.kind == "error" and "Which ticker?" in item.content


def test_compare_gives_a_table_and_a_chart(ctx):
    table, figure = dispatch("/compare AAPL AMZN GOOG 1y", ctx)
    assert "| AAPL | 2020-01-02 | 2020-12-31 | +78.2% |" in table.content
    assert figure.kind == "chart" and [t.name for t in figure.content.data] == ["AAPL", "AMZN", "GOOG"]
    [error] = dispatch("/compare AAPL", ctx)
    assert error.kind == "error" and "2 to 20 tickers" in error.content


def test_news_links_and_fundamentals(ctx):
    news, *measured = dispatch("/news AAPL", ctx)  # then the measured reactions (chat/commands/analysis.py)
    assert news.content.count("\n- ") == 4 and "](https://finance.yahoo.com/" in news.content
    [profile] = dispatch("/fundamentals AAPL", ctx)
    assert "Technology / Consumer Electronics" in profile.content and "P/E 38.76" in profile.content


def test_bad_symbol_is_a_clear_message(ctx):
    [item] = dispatch("/quote $$$", ctx)
    assert item.kind == "error" and "is not a ticker symbol" in item.content
