"""Market, indicator and chart tools: app-bound output, Hub round-trip, chart sink, slash commands.

Round-trip: `Tool.save(dir)` (which runs smolagents' Hub validation), then a
fresh Python process, outside this repository and with only YAHOO_BASE_URL
set, loads the saved tool.py with `Tool.from_code` and must print exactly the
output that the app's tool (bound to the shared cached MarketData) gave.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from market.client import MarketData
from tests.servers.yahoo import YahooReplay
from tools.market import market_tools

pytestmark = pytest.mark.filterwarnings("ignore::Warning")

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
def tools(replay):
    return {tool.name: tool for tool in market_tools(MarketData(base_url=replay.url, timeout_s=3.0))}


def test_market_tools_cover_the_issue_and_share_one_client(tools):
    assert set(tools) == set(CALLS)
    clients = {id(tool.data_client) for tool in tools.values()}
    assert len(clients) == 1


def test_outputs_are_compact_and_state_source_and_data_time(tools):
    outputs = {name: tools[name](**args) for name, args in CALLS.items()}
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


def test_chart_tool_hands_the_figure_to_its_sink(tools):
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


def test_tool_errors_are_text_for_the_model(tools):
    assert tools["stock_quote"](symbol="ZZZZZ").startswith("Error: Yahoo Finance")
    assert "Unknown indicator" in tools["technical_indicators"](symbol="AAPL", indicators="wobble")
    assert tools["compare_stocks"](symbols="AAPL").startswith("Error: give between 2 and 20")


@pytest.mark.parametrize("name", sorted(CALLS))
def test_saved_tool_runs_alone_in_a_fresh_process_with_the_same_output(tools, replay, tmp_path, name):
    tool = tools[name]
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
    if name.endswith("_chart"):  # the fresh copy has no chat to show the figure in
        expected = expected.replace("Chart shown to the user", "Chart built (no chat to show it in)")
    assert json.loads(run.stdout.strip().splitlines()[-1]) == expected
