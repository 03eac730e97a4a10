"""The backtest engine on real price histories: exact known results and the trading conventions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtest import DataError, run_backtest
from backtest.engine import SignalBook, prepare_prices, simulate
from backtest.spec import parse_spec
from standins.prices import PRICES, aapl_2020, load_chart, tsla_30m, tsla_daily  # noqa: F401


@pytest.mark.parametrize("commission, slippage", [(0.0, 0.0), (0.001, 0.0005), (0.0025, 0.002)])
def test_buy_and_hold_is_the_price_ratio_minus_costs(commission, slippage):
    prices = tsla_daily()
    result = run_backtest(prices, {"strategy": "buy_and_hold", "commission": commission, "slippage": slippage})
    first_open, last_close = prices["Open"].iloc[0], prices["Close"].iloc[-1]
    expected = (last_close * (1 - slippage) * (1 - commission)) / (first_open * (1 + slippage) * (1 + commission)) - 1
    assert result.metrics["total_return"] == pytest.approx(expected, rel=1e-12)
    assert result.metrics["trades"] == 1 and result.metrics["exposure"] == 1.0
    assert result.metrics["total_return"] > 50  # TSLA 2010-2023: a real >50x, so the data is the real thing
    # the baseline is the same run
    assert result.benchmark["total_return"] == pytest.approx(expected, rel=1e-12)


def test_buy_and_hold_with_half_the_equity_moves_half_as_much():
    prices = aapl_2020()
    full = run_backtest(prices, {"strategy": "buy_and_hold", "commission": 0, "slippage": 0})
    half = run_backtest(prices, {"strategy": "buy_and_hold", "commission": 0, "slippage": 0, "position_size": 0.5})
    assert half.metrics["total_return"] == pytest.approx(full.metrics["total_return"] / 2, rel=1e-12)
    assert half.benchmark["total_return"] == pytest.approx(full.metrics["total_return"], rel=1e-12)


def hand_frame(closes: list[float], opens: list[float] | None = None) -> pd.DataFrame:
    """A small OHLC frame whose every number is written in the test, so results can be worked out by hand."""
    opens = opens or closes
    index = pd.date_range("2024-01-01", periods=len(closes), freq="B")
    return pd.DataFrame({"Open": opens, "High": np.maximum(opens, closes), "Low": np.minimum(opens, closes),
                         "Close": closes}, index=index)


def test_hand_computable_crossover():
    # sma(1) is the close itself; sma(2) the mean of two closes.
    # closes: 10 9 8 9 11 12 11 9 8 ; opens one lower than the close before (gap down), so fills are visible.
    closes = [10, 9, 8, 9, 11, 12, 11, 9, 8]
    opens = [10, 9.5, 8.5, 8.5, 10, 11.5, 11.5, 10, 8.5]
    spec = {"strategy": "sma_cross", "params": {"fast": 1, "slow": 2}, "commission": 0, "slippage": 0}
    result = run_backtest(hand_frame(closes, opens), spec)
    # bar 3: close 9 > sma2 (8+9)/2=8.5, bar 2 close 8 < sma2 8.5  -> cross up at bar 3, buy at bar 4's open 10
    # bar 6: close 11 < sma2 11.5, bar 5 close 12 > 11.5            -> cross down at bar 6, sell at bar 7's open 10
    trades = result.trades
    assert len(trades) == 1
    trade = trades.iloc[0]
    assert (trade.entry_price, trade.exit_price) == (10, 10)
    assert trade.entry_time == result.equity.index[4] and trade.exit_time == result.equity.index[7]
    # equity: flat 1.0, then 1/10 share per unit marked at closes 11, 12, 11, then 1.0 after selling at 10
    assert result.equity.tolist() == pytest.approx([1, 1, 1, 1, 1.1, 1.2, 1.1, 1.0, 1.0])
    assert result.metrics["total_return"] == pytest.approx(0.0)
    assert result.metrics["max_drawdown"] == pytest.approx(1.0 / 1.2 - 1)
    assert result.metrics["exposure"] == pytest.approx(3 / 9)


def test_crossover_with_costs_by_hand():
    closes = [10, 9, 8, 9, 11, 12, 11, 9, 8]
    opens = [10, 9.5, 8.5, 8.5, 10, 11.5, 11.5, 10, 8.5]
    c, s = 0.01, 0.02
    spec = {"strategy": "sma_cross", "params": {"fast": 1, "slow": 2}, "commission": c, "slippage": s}
    result = run_backtest(hand_frame(closes, opens), spec)
    buy, sell = 10 * (1 + s), 10 * (1 - s)
    shares = (1 / (1 + c)) / buy
    assert result.equity.iloc[-1] == pytest.approx(shares * sell * (1 - c))
    assert result.trades.iloc[0]["return"] == pytest.approx(shares * sell * (1 - c) - 1)


def test_long_short_flips_at_the_same_open_and_short_is_the_mirror():
    closes = [10, 9, 8, 9, 11, 12, 11, 9, 8]
    frame = hand_frame(closes)
    base = {"strategy": "sma_cross", "params": {"fast": 1, "slow": 2}, "commission": 0, "slippage": 0}
    flip = run_backtest(frame, {**base, "direction": "long_short"})
    # sma2 = [nan, 9.5, 8.5, 8.5, 10, 11.5, 11.5, 10, 8.5]: cross up at bar 3, cross down at bar 6
    sides = flip.trades["side"].tolist()
    assert sides == ["long", "short"]
    assert flip.trades.iloc[0].exit_time == flip.trades.iloc[1].entry_time  # reversed at one open
    short = run_backtest(frame, {**base, "direction": "short"})
    # short on the sell signal: from bar 7's open (9) to the last close (8), still open at the end
    trade = short.trades.iloc[0]
    assert trade.side == "short" and trade.entry_price == 9 and trade.exit_price == 8 and trade.exit_reason == "end"
    assert short.metrics["total_return"] == pytest.approx(1 - 8 / 9)


def test_stop_loss_fills_at_the_stop_or_at_a_gapped_open():
    # buy at bar 4's open 10 (as above); a 5% stop sits at 9.5
    closes = [10, 9, 8, 9, 11, 12, 11, 9, 8]
    opens = [10, 9.5, 8.5, 8.5, 10, 11.5, 11.5, 10, 8.5]
    frame = hand_frame(closes, opens)
    frame.loc[frame.index[5], "Low"] = 9.4  # bar 5 trades down through 9.5 intraday
    spec = {"strategy": "sma_cross", "params": {"fast": 1, "slow": 2}, "commission": 0, "slippage": 0,
            "stop_loss": 0.05}
    trade = run_backtest(frame, spec).trades.iloc[0]
    assert (trade.exit_reason, trade.exit_price, trade.exit_time) == ("stop_loss", 9.5, frame.index[5])
    gapped = frame.copy()
    gapped.loc[gapped.index[5], ["Open", "Low"]] = [9.0, 9.0]  # opens below the stop: filled at the open
    trade = run_backtest(gapped, spec).trades.iloc[0]
    assert (trade.exit_reason, trade.exit_price) == ("stop_loss", 9.0)
    take = {**spec, "stop_loss": None, "take_profit": 0.15}  # 11.5 is reached by bar 5's high (12)
    trade = run_backtest(frame, take).trades.iloc[0]
    assert (trade.exit_reason, trade.exit_price, trade.exit_time) == ("take_profit", 11.5, frame.index[5])


def test_window_starts_flat_and_uses_earlier_bars_for_indicators():
    prices = prepare_prices(tsla_daily())
    spec = parse_spec({"strategy": "sma_cross", "params": {"fast": 20, "slow": 100}})
    book = SignalBook(prices)
    start = 2000
    window = simulate(prices, spec, book, start, len(prices))
    assert window.equity.index[0] == prices.index[start]
    assert window.equity.iloc[0] == 1.0 and window.position.iloc[0] == 0
    # the first trade is on a signal inside the window, one bar after it
    buy, _ = book.signals(spec)
    first_signal = start + int(np.argmax(buy[start:]))
    assert window.trades.iloc[0].entry_time == prices.index[first_signal + 1]


def test_every_preset_runs_on_real_data_and_keeps_equity_positive():
    prices = tsla_daily()
    for strategy in ("sma_cross", "ema_cross", "rsi", "macd_cross", "bollinger"):
        for direction in ("long", "short", "long_short"):
            result = run_backtest(prices, {"strategy": strategy, "direction": direction, "stop_loss": 0.1})
            assert (result.equity > 0).all(), (strategy, direction)
            assert result.metrics["trades"] > 0, (strategy, direction)
            assert result.trades["exit_time"].is_monotonic_increasing


def test_intraday_bars_are_annualised_per_bar():
    prices = tsla_30m()
    result = run_backtest(prices, {"strategy": "ema_cross", "params": {"fast": 2, "slow": 5}})
    assert result.metrics["bars"] == len(prices) == 30
    assert result.metrics["cagr"] is None  # one day is too short for an annual figure
    r = result.equity.pct_change().fillna(result.equity.iloc[0] - 1).to_numpy()
    assert result.metrics["volatility"] == pytest.approx(np.std(r, ddof=1) * np.sqrt(252 * 13))


def test_too_short_or_broken_histories_give_clear_errors():
    prices = aapl_2020()
    with pytest.raises(DataError, match="needs at least 202 bars"):
        run_backtest(prices.iloc[:150], {"strategy": "custom", "entry": ["close > sma(200)"]})
    with pytest.raises(DataError, match="lacks column"):
        run_backtest(prices.drop(columns=["Open"]), {"strategy": "rsi"})
    with pytest.raises(DataError, match="dates"):
        run_backtest(prices.reset_index(drop=True), {"strategy": "rsi"})
    with pytest.raises(DataError, match="at least 3 bars"):
        run_backtest(prices.iloc[:2], {"strategy": "buy_and_hold"})


def test_a_short_that_loses_everything_is_closed_at_zero_equity():
    closes = [10, 9, 8, 9, 11, 12, 11, 9, 25, 30, 40]  # short from bar 7's open (9); 18 = double the entry busts it
    frame = hand_frame(closes)
    result = run_backtest(frame, {"strategy": "sma_cross", "params": {"fast": 1, "slow": 2}, "direction": "short",
                                  "commission": 0, "slippage": 0})
    trade = result.trades.iloc[-1]
    assert (trade.exit_reason, trade.exit_time) == ("bankrupt", frame.index[8])
    assert result.equity.iloc[8:].tolist() == [0.0, 0.0, 0.0]
    assert result.metrics["total_return"] == -1.0 and result.metrics["max_drawdown"] == -1.0
