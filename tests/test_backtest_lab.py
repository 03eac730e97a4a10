"""In/out-of-sample validation, the lab log, the trader's tools in a real CodeAgent, and /backtest.

Prices reach the tools the way they do in the app: the real MarketData client (yfinance) talking
HTTP to the local Yahoo replay server with recorded responses.
"""

from __future__ import annotations

import re
import warnings

import pytest
from smolagents import CodeAgent

from backtest.lab import StrategyLab, lab_for
from backtest.validation import evaluate, fold_bounds, refinement_warning
from chat.commands import CommandContext, dispatch
from chat.commands.backtest import parse_args
from chat.session import Session
from core.errors import UserError
from core.settings import load_settings
from standins.prices import tsla_daily
from standins.scripted_model import ScriptedModel, code
from standins.yahoo import YahooReplay
from tests.harness import runtime_for
from tools.backtest import backtest_tools


@pytest.fixture(scope="module")
def market():
    from market.client import MarketData

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with YahooReplay() as replay:
            yield MarketData(base_url=replay.url, timeout_s=5.0)


def test_split_and_walk_forward_cover_the_history():
    prices = tsla_daily()
    report = evaluate(prices, {"strategy": "sma_cross", "params": {"fast": 20, "slow": 50}}, oos_fraction=0.3)
    n = len(prices)
    assert len(report.in_sample.equity) + len(report.out_of_sample.equity) == n
    assert len(report.out_of_sample.equity) == n - round(n * 0.7)
    assert report.in_sample.equity.index[-1] < report.split_time == report.out_of_sample.equity.index[0]
    assert report.out_of_sample.benchmark["total_return"] == pytest.approx(
        prices.Close.iloc[-1] * (1 - 0.0005) ** 2 / (prices.Open.loc[report.split_time] * (1 + 0.0005) ** 2) - 1)
    wf = report.walk_forward
    assert len(wf) == 4 and (wf.test_start.iloc[1:].to_numpy() > wf.test_end.iloc[:-1].to_numpy()).all()
    assert fold_bounds(100, 4) == [(0, 20, 40), (0, 40, 60), (0, 60, 80), (0, 80, 100)]


def test_refinement_warning_fires_only_when_in_sample_gains_are_not_confirmed():
    before = {"is_sharpe": 0.5, "oos_sharpe": 0.6}
    assert "Over-fitting warning" in refinement_warning(before, {"is_sharpe": 0.9, "oos_sharpe": 0.4})
    assert refinement_warning(before, {"is_sharpe": 0.9, "oos_sharpe": 0.7}) is None
    assert refinement_warning(before, {"is_sharpe": 0.4, "oos_sharpe": 0.1}) is None
    assert "n/a" in refinement_warning(before, {"is_sharpe": 0.9, "oos_sharpe": None})


def test_walk_forward_optimisation_picks_parameters_per_fold():
    from backtest.engine import prepare_prices
    from backtest.spec import parse_spec
    from backtest.validation import walk_forward

    prices = prepare_prices(tsla_daily())
    wf = walk_forward(prices, parse_spec({"strategy": "sma_cross"}), folds=3,
                      grid={"fast": [5, 10, 20], "slow": [30, 60]})
    assert len(wf) == 3 and all(s.startswith("sma_cross(fast=") for s in wf["spec"])


def test_the_lab_is_per_session_and_numbers_entries():
    one, two = Session(id="one"), Session(id="two")
    assert lab_for(one) is lab_for(one) and lab_for(one) is not lab_for(two)
    lab = lab_for(one)
    report = evaluate(tsla_daily(), {"strategy": "rsi"})
    assert lab.record("tsla", "max", "1d", report).number == 1
    assert lab.record("TSLA", "max", "1d", report).number == 2
    assert lab_for(two).table() == "No backtests yet in this session."
    assert lab.table().count("| TSLA max 1d |") == 2


RSI_SPECS = [
    {"strategy": "rsi", "params": {"period": 14, "low": 30, "high": 70}},
    {"strategy": "rsi", "params": {"period": 14, "low": 35, "high": 65}, "stop_loss": 0.1},
    {"strategy": "rsi", "params": {"period": 7, "low": 25, "high": 75}, "entry": ["close > sma(200)"]},
]


def test_the_trader_refines_an_rsi_strategy_and_ends_with_the_table(market):
    lab = StrategyLab()
    tools = backtest_tools(lambda s, p, i: market.history(s, period=p, interval=i), lab)
    figures = []
    tools[0].on_figure = lambda fig, title: figures.append((fig, title))

    def step(n):
        def reply(messages):
            if n > 0:  # the model reads the previous backtest's figures before adjusting
                last = str(messages[-1].content if hasattr(messages[-1], "content") else messages[-1])
                assert f"Backtest #{n}" in last and "out-of-sample" in last
            return code(f"report = backtest_strategy(symbol='TSLA', spec={RSI_SPECS[n]!r}, period='10y')\n"
                        "print(report)", thought=f"Try spec {n + 1} and read its in/out-of-sample figures.")
        return reply

    model = ScriptedModel([step(0), step(1), step(2),
                           code("table = backtest_table(symbol='TSLA')\nfinal_answer(table)",
                                thought="Three specs tried; stop with the table.")])
    agent = CodeAgent(tools=tools, model=model, max_steps=6)
    answer = str(agent.run("Find a good RSI strategy for TSLA"))

    rows = [line for line in answer.splitlines() if re.match(r"^\| \d+ \| TSLA 10y 1d \|", line)]
    assert len(rows) == 3
    assert "rsi(period=7,low=25,high=75) +close > sma(200)" in answer and "SL10.0%" in answer
    assert [e.report.spec.to_dict()["params"] for e in lab.entries] == [s["params"] for s in RSI_SPECS]
    assert len(figures) == 3 and figures[0][1].startswith("#1 TSLA")
    assert "Walk-forward (4 windows" in model.seen_text()
    # every figure in the table is the lab's own number, not the model's
    first = lab.entries[0].figures
    assert f"{first['oos_sharpe']:.2f}" in rows[0]


def test_tools_answer_problems_with_sentences(market):
    lab = StrategyLab()
    run, grammar, table, trades = backtest_tools(lambda s, p, i: market.history(s, period=p, interval=i), lab)
    assert "crosses_above" in grammar.forward() and "sma_cross" in grammar.forward()  # the spec grammar, on demand
    with pytest.raises(UserError, match=re.escape("params for rsi: need 0 < low < high < 100")):
        run.forward("TSLA", {"strategy": "rsi", "params": {"low": 90}})
    with pytest.raises(UserError, match="^unknown strategy"):
        run.forward("TSLA", "not a strategy")
    with pytest.raises(UserError, match=re.escape("Give a symbol, e.g. 'AAPL'.")):
        run.forward("", {"strategy": "rsi"})
    with pytest.raises(UserError):
        run.forward("NOSUCHSYMBOL", {"strategy": "rsi"})
    assert trades.forward(None) == "No backtests yet."
    out = run.forward("TSLA", '{"strategy": "bollinger", "stop_loss": 0.05}', "5y", None)
    assert out.startswith("**Backtest #1: TSLA 5y 1d") and len(out) < 5000
    listed = trades.forward(1)
    assert "| entry | exit | side |" in listed and "stop_loss" in listed
    with pytest.raises(UserError, match="No such backtest"):
        trades.forward(7)


def test_backtest_command_end_to_end(market):
    ctx = CommandContext(session=Session(id="s"), runtime=runtime_for(load_settings({}, dotenv_path=None), market))
    items = dispatch("/backtest TSLA sma_cross fast=20 slow=50 10y", ctx)
    assert [i.kind for i in items] == ["text", "chart"]
    assert "| Sharpe |" in items[0].content and "out-of-sample" in items[0].content
    assert items[1].title.startswith("#1 TSLA 10y 1d") and items[1].to_json()["plotly"]["data"]
    table = dispatch("/backtest table", ctx)[0].content
    assert "sma_cross(fast=20,slow=50)" in table
    assert "| entry | exit |" in dispatch("/backtest trades 1", ctx)[0].content


@pytest.mark.parametrize("line, message", [
    ("/backtest TSLA", "Give a symbol and a strategy"),
    ("/backtest TSLA moon", "Unknown strategy 'moon'"),
    ("/backtest TSLA rsi low=90", "need 0 < low < high < 100"),
    ("/backtest TSLA rsi bogus", "I don't understand 'bogus'"),
    ("/backtest TSLA sma_cross fast=", "has no value"),
])
def test_backtest_command_misuse_shows_usage(market, line, message):
    ctx = CommandContext(session=Session(id="s"), runtime=runtime_for(load_settings({}, dotenv_path=None), market))
    [item] = dispatch(line, ctx)
    assert item.kind == "error" and message in item.content and "Usage: `/backtest SYMBOL STRATEGY" in item.content


def test_command_arguments():
    assert parse_args(["msft", "rsi", "low=25", "high=75", "sl=5%", "long_short", "2y", "1h"]) == (
        "MSFT", {"strategy": "rsi", "params": {"low": "25", "high": "75"}, "stop_loss": "5%",
                 "direction": "long_short"}, "2y", "1h")
