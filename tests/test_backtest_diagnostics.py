"""Strategy-lab diagnostics on a recorded series: why an RSI < 30 spec never traded, and what would have triggered."""

from __future__ import annotations

import re

import pytest

from backtest.diagnostics import diagnose_report
from backtest.lab import StrategyLab
from backtest.validation import evaluate
from market.client import MarketData
from market.indicators import rsi
from standins.yahoo import YahooReplay
from tools.backtest import backtest_tools

pytestmark = pytest.mark.filterwarnings("ignore::Warning")
RSI_SPEC = {"strategy": "rsi", "params": {"period": 14, "low": 30, "high": 70}}


@pytest.fixture(scope="module")
def aapl_6mo(tmp_path_factory):
    """AAPL July-December 2020 as the app loads it: its RSI(14) stayed above 39 throughout."""
    import yfinance as yf

    yf.set_tz_cache_location(str(tmp_path_factory.mktemp("yf-tz")))
    with YahooReplay() as server:
        market = MarketData(base_url=server.url, timeout_s=3.0)
        yield market, market.history("AAPL", period="6mo")


def test_an_rsi_spec_that_never_fires_reports_zero_bars_the_real_minimum_and_a_threshold(aapl_6mo):
    _, prices = aapl_6mo
    real_min = float(rsi(prices["Close"], 14).min())
    assert real_min > 30  # the premise: RSI never went below 30 on these bars
    report = evaluate(prices, RSI_SPEC)
    assert report.full.metrics["trades"] == 0
    diagnostics = diagnose_report(report)
    entry = diagnostics.checks[0]
    assert entry.role == "entry" and entry.label == "rsi(14) < 30" and entry.bars_true == 0
    assert entry.operands[0].low == pytest.approx(real_min)
    level = float(re.search(r"`rsi\(14\) < ([0-9.]+)`", entry.suggestion).group(1))
    assert entry.suggestion.startswith("Would trigger with") and "in-sample 5th percentile" in entry.suggestion
    assert real_min < level < 50
    # the suggested threshold does trigger on these bars, and the spec then trades
    assert (rsi(prices["Close"], 14) < level).sum() > 0
    result = evaluate(prices, {**RSI_SPEC, "params": {"period": 14, "low": level, "high": 70}})
    assert result.full.metrics["trades"] > 0


def test_backtest_tool_and_refinement_table_show_the_diagnostics(aapl_6mo):
    market, prices = aapl_6mo
    lab = StrategyLab()
    backtest, _help, table, _ = backtest_tools(lambda symbol, period, interval: prices, lab)
    text = backtest(symbol="AAPL", spec=RSI_SPEC, period="6mo")
    assert "**Why so few trades (0 over 127 bars)**" in text
    real_min = rsi(prices["Close"], 14).min()  # the one indicators module's RSI, as the backtest computes it
    assert "entry `rsi(14) < 30`: true on 0 of" in text and f"ranged {real_min:.2f} to" in text
    assert "Suggested thresholds are in-sample (fitted on the first 89 bars)" in text
    busy = backtest(symbol="AAPL", spec={"strategy": "sma_cross", "params": {"fast": 3, "slow": 8}}, period="6mo")
    assert "Why so few trades" not in busy
    rows = table().splitlines()
    assert rows[0].endswith("| why few trades |")
    assert "`rsi(14) < 30` true 0/" in rows[2] and "Would trigger with `rsi(14) < " in rows[2]
    assert rows[3].endswith("|  |")  # the busy spec needs no diagnosis
