"""Market, indicator and chart tools: structured results, Hub round-trip, chart sink, errors.

The app's data tools return structured results whose `summary` is the text the
formatters give. Round-trip: the Hub copy (hub/market_tools.py) is saved with
`Tool.save(dir)`, then a fresh Python process, outside this repository and with
only YAHOO_BASE_URL set, loads the saved tool.py with `Tool.from_code` and must
print exactly the text the same Hub tool gave here, bound to the app's client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from core.errors import UserError
from hub.market_tools import hub_market_tools
from market.client import MarketData
from standins.yahoo import YahooReplay
from tools.market import market_tools

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::Warning")]

CALLS = {
    "stock_quote": {"symbol": "AAPL"},
    "price_history": {"symbol": "NVDA", "period": "1y"},
    "company_profile": {"symbol": "GOOG"},
    "stock_news": {"symbol": "AMZN", "count": 3},
    "symbol_search": {"query": "Bayerische Motoren Werke AG"},
    "compare_stocks": {"symbols": "AAPL,AMZN,GOOG", "period": "1y"},
    "technical_indicators": {"symbol": "AAPL", "indicators": "sma20,sma200,rsi,macd,bollinger,atr,volume"},
    "price_chart": {"symbol": "TSLA", "period": "max", "indicators": "sma50,rsi,macd"},
    "performance_chart": {"symbols": "AAPL,AMZN,GOOG", "period": "6mo"},
}

LOADER = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
import yfinance as yf
yf.set_tz_cache_location(sys.argv[3])
from smolagents import Tool
tool = Tool.from_code(open(sys.argv[1]).read())
print(json.dumps(tool(**json.loads(sys.argv[2]))))
"""


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    import yfinance as yf

    yf.set_tz_cache_location(str(tmp_path_factory.mktemp("yf-tz")))
    with YahooReplay() as server:
        yield server


@pytest.fixture(scope="module")
def market(replay):
    return MarketData(base_url=replay.url, timeout_s=3.0)


@pytest.fixture(scope="module")
def tools(market):
    return {tool.name: tool for tool in market_tools(market)}


@pytest.fixture(scope="module")
def hub_tools(market):
    return {tool.name: tool for tool in hub_market_tools(market)}


def test_market_tools_cover_the_issue_and_share_one_client(tools, hub_tools):
    assert set(tools) == set(CALLS) == set(hub_tools)
    clients = {id(tool.market) for tool in [*tools.values(), *hub_tools.values()]}
    assert len(clients) == 1


def test_data_tools_return_numbers_with_time_and_source_for_code_to_chain(tools):
    quote = tools["stock_quote"](symbol="AAPL")
    assert quote["price"] == 244.60 and isinstance(quote["change_pct"], float)
    assert quote["as_of"].startswith("2025-02-14T21:00") and "Yahoo Finance" in quote["source"]
    history = tools["price_history"](**CALLS["price_history"])
    last_bar = history["bars"][-1]
    assert last_bar["date"].startswith(history["as_of"][:10]) and isinstance(last_bar["close"], float)
    assert history["splits"] and "Yahoo Finance" in history["summary"]
    indicators = tools["technical_indicators"](symbol="AAPL", indicators="rsi,sma20")
    assert 0 <= indicators["values"]["RSI_14"] <= 100 and indicators["readings"][0].startswith("RSI(14)")
    profile = tools["company_profile"](symbol="GOOG")
    assert profile["pe"] > 0 and profile["about"] and profile["summary"].startswith("GOOG - ")
    compared = tools["compare_stocks"](symbols="AAPL,AMZN", period="1y")
    assert round(compared["stats"]["AAPL"]["return_pct"], 1) == 78.2
    assert -1 <= compared["correlation"]["AAPL"]["AMZN"] <= 1
    news = tools["stock_news"](**CALLS["stock_news"])
    assert 1 <= len(news["headlines"]) <= 3 and all(h["title"] and h["publisher"] for h in news["headlines"])
    assert news["as_of"] == max(h["time"] for h in news["headlines"] if h["time"]) and "untrusted" in news["source"]
    assert "<untrusted_web_content" in news["summary"]
    found = tools["symbol_search"](**CALLS["symbol_search"])
    assert found["matches"][0]["symbol"] == "BMW.DE" and found["summary"].splitlines()[2].startswith("BMW.DE |")
    for name, tool in tools.items():
        if tool.output_schema is not None:
            result = tool(**CALLS[name])
            assert set(tool.output_schema["properties"]) <= set(result), name
            json.dumps(result)  # plain numbers and strings, nothing the model's code cannot use
            assert len(result["summary"]) <= 3500


def test_outputs_are_compact_and_state_source_and_data_time(hub_tools):
    outputs = {name: hub_tools[name](**args) for name, args in CALLS.items()}
    for name, text in outputs.items():
        assert not text.startswith("Error"), (name, text)
        assert len(text) <= 3500, name
    assert "Price 244.60" in outputs["stock_quote"] and "data time 2025-02-14 21:00 UTC" in outputs["stock_quote"]
    assert "Stock splits: 2021-07-20 4:1" in outputs["price_history"]
    assert "Yahoo Finance" in outputs["price_history"] and "2021-" in outputs["price_history"]
    assert "<untrusted_web_content" in outputs["stock_news"] and "do not follow" in outputs["stock_news"]
    assert outputs["symbol_search"].splitlines()[2].startswith("BMW.DE |")
    assert "RSI(14)" in outputs["technical_indicators"] and "to 2020-12-31" in outputs["technical_indicators"]
    assert "Correlation" in outputs["compare_stocks"]


def test_chart_tool_hands_the_figure_to_its_sink(tools, hub_tools):
    tool = tools["price_chart"]
    shown = []
    tool.on_figure = lambda figure, title: shown.append((figure, title))
    try:
        text = tool(symbol="AAPL", period="6mo", indicators="sma20,rsi")
    finally:
        tool.on_figure = None
    assert text.startswith("Chart shown to the user: AAPL 6mo 1d with sma20, rsi")
    [(figure, title)] = shown
    assert figure.data[0].type == "candlestick" and title == "AAPL 6mo 1d with sma20, rsi"
    assert tools["price_chart"](symbol="AAPL", period="6mo").startswith("Chart built (no chat to show it in)")
    assert hub_tools["price_chart"](symbol="AAPL", period="6mo").startswith("Chart built (no chat to show it in)")


def test_tool_errors_are_the_user_facing_error_which_smolagents_reports_to_the_model(tools):
    with pytest.raises(UserError, match="Yahoo Finance"):
        tools["stock_quote"](symbol="ZZZZZ")
    with pytest.raises(UserError, match="Unknown indicator"):
        tools["technical_indicators"](symbol="AAPL", indicators="wobble")
    with pytest.raises(UserError, match="between 2 and 20"):
        tools["compare_stocks"](symbols="AAPL")
    from smolagents import CodeAgent

    from standins.scripted_model import ScriptedModel, code, final

    model = ScriptedModel([code("q = stock_quote(symbol='ZZZZZ')"), final("done")])
    CodeAgent(tools=[tools["stock_quote"]], model=model, max_steps=3).run("quote ZZZZZ")
    assert "due to: UnknownSymbol: Yahoo Finance does not know ZZZZZ" in model.seen_text()


@pytest.mark.parametrize("name", sorted(CALLS))
def test_saved_tool_runs_alone_in_a_fresh_process_with_the_same_output(hub_tools, tools, replay, tmp_path, name):
    tool = hub_tools[name]
    tool.save(str(tmp_path / "saved"))  # runs smolagents' validate_tool_attributes
    saved = (tmp_path / "saved" / "tool.py").read_text()
    imports = [line.strip() for line in saved.splitlines() if line.strip().startswith(("import ", "from "))]
    assert not [line for line in imports if line.split()[1].split(".")[0] in ("market", "tools", "agents")]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["YAHOO_BASE_URL"] = replay.url
    run = subprocess.run([sys.executable, "-c", LOADER, str(tmp_path / "saved" / "tool.py"), json.dumps(CALLS[name]),
                          str(tmp_path / "tz")], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    expected = tool(**CALLS[name])
    assert json.loads(run.stdout.strip().splitlines()[-1]) == expected
    if tools[name].output_schema is not None and name != "price_history":  # same formatter as the app's summary
        assert tools[name](**CALLS[name])["summary"] == expected
