"""A vectorised backtest engine: signals as whole arrays, a loop over trades (not bars).

Why our own engine and not a library: the well-kept Python backtesters either
carry a licence we cannot ship in the product (backtesting.py is AGPL-3.0) or
pull in heavy compiled stacks; this one is ~200 lines of numpy and is
cross-checked against backtesting.py and empyrical in the tests.

Conventions (the same as backtesting.py's defaults, so results compare):
- rules are evaluated on each bar's close; orders fill at the NEXT bar's open;
- buy-and-hold buys at the window's first open;
- fills pay slippage (price moved against us by `slippage`) and commission
  (a fraction of traded value) on entry and on exit;
- a stop-loss / take-profit is checked from the entry bar on against the bar's
  low/high, fills at the stop price or at the open when the bar gaps through
  it; when both are hit in one bar the stop-loss is assumed first;
- a position still open at the window's end is closed at the last close, with
  costs, so every figure includes the round trip;
- `position_size` of equity is committed per trade (commission included);
- a position that loses all the equity (a short in a rally) is closed at that
  bar's close with equity 0 and trading stops, as a broker would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from backtest.metrics import compute_metrics
from backtest.spec import Condition, DataError, Operand, StrategySpec, parse_spec
from market import indicators

COLUMNS = ("Open", "High", "Low", "Close")


@dataclass
class BacktestResult:
    """One backtest: the equity curve (starting at 1.0), the trades, the metrics and the buy-and-hold baseline."""

    spec: StrategySpec
    equity: pd.Series
    position: pd.Series
    trades: pd.DataFrame
    metrics: dict[str, Any]
    benchmark_equity: pd.Series | None = None
    benchmark: dict[str, Any] | None = None
    prices: pd.DataFrame | None = field(default=None, repr=False)


def prepare_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """Check and normalise an OHLC(V) frame: DatetimeIndex, sorted, no missing closes."""
    if not isinstance(prices, pd.DataFrame):
        raise DataError(f"prices must be a pandas DataFrame, got {type(prices).__name__}")
    renamed = {c: c.capitalize() for c in prices.columns if isinstance(c, str) and c.lower() in
               ("open", "high", "low", "close", "volume")}
    frame = prices.rename(columns=renamed)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"the price history lacks column(s) {', '.join(missing)}")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError("the price history needs dates as its index")
    frame = frame.loc[:, [c for c in ("Open", "High", "Low", "Close", "Volume") if c in frame.columns]]
    frame = frame.astype("float64")
    frame = frame[frame["Close"].notna() & (frame["Close"] > 0)]
    if not frame.index.is_monotonic_increasing:
        frame = frame.sort_index()
    frame = frame[~frame.index.duplicated(keep="last")]
    # a missing open/high/low (some feeds leave them blank) falls back to the close
    for column in ("Open", "High", "Low"):
        frame[column] = frame[column].fillna(frame["Close"])
    if len(frame) < 3:
        raise DataError(f"need at least 3 bars of prices to backtest, got {len(frame)}")
    return frame


class SignalBook:
    """Indicator columns computed once per price frame and shared by every spec run on it (sweeps)."""

    def __init__(self, prices: pd.DataFrame):
        self.prices = prices
        self.close = prices["Close"]
        self._cache: dict[tuple, np.ndarray] = {}

    def values(self, operand: Operand) -> np.ndarray:
        key = (operand.name, operand.args, operand.value)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if operand.is_number:
            out = np.full(len(self.close), operand.value)
        elif operand.args == ():
            column = operand.name.capitalize()
            if column not in self.prices.columns:
                raise DataError(f"the price history has no {operand.name} column")
            out = self.prices[column].to_numpy()
        else:
            out = self._indicator(operand)
        self._cache[key] = out
        return out

    def _indicator(self, operand: Operand) -> np.ndarray:
        name, args, close = operand.name, operand.args, self.close
        if name == "sma":
            series = indicators.sma(close, args[0])
        elif name == "ema":
            series = indicators.ema(close, args[0])
        elif name == "rsi":
            series = indicators.rsi(close, args[0])
        elif name.startswith("macd"):
            line, signal, hist = indicators.macd(close, *args)
            series = {"macd": line, "macd_signal": signal, "macd_hist": hist}[name]
        else:
            lower, mid, upper = indicators.bollinger(close, args[0], args[1])
            series = {"bb_lower": lower, "bb_mid": mid, "bb_upper": upper}[name]
        return series.to_numpy(dtype="float64")

    def condition(self, condition: Condition) -> np.ndarray:
        left, right = self.values(condition.left), self.values(condition.right)
        with np.errstate(invalid="ignore"):
            if condition.op == ">":
                return left > right
            if condition.op == "<":
                return left < right
            if condition.op == ">=":
                return left >= right
            if condition.op == "<=":
                return left <= right
            now_above, now_below = left > right, left < right
            before_above = np.concatenate(([False], now_above[:-1]))
            before_below = np.concatenate(([False], now_below[:-1]))
            if condition.op == "crosses_above":
                return before_below & now_above
            return before_above & now_below

    def signals(self, spec: StrategySpec) -> tuple[np.ndarray, np.ndarray]:
        """Buy signal = every entry condition holds; sell signal = any exit condition holds."""
        n = len(self.close)
        buy = np.ones(n, dtype=bool) if spec.entry else np.zeros(n, dtype=bool)
        for condition in spec.entry:
            buy &= self.condition(condition)
        sell = np.zeros(n, dtype=bool)
        for condition in spec.exit:
            sell |= self.condition(condition)
        return buy, sell


def _targets(buy: np.ndarray, sell: np.ndarray, direction: str) -> np.ndarray:
    """Per bar, the position the signals ask for (+1, 0, -1) or NaN for 'no change'. Conflicts are ignored."""
    target = np.full(len(buy), np.nan)
    only_buy, only_sell = buy & ~sell, sell & ~buy
    if direction == "long":
        target[only_buy], target[only_sell] = 1.0, 0.0
    elif direction == "short":
        target[only_sell], target[only_buy] = -1.0, 0.0
    else:
        target[only_buy], target[only_sell] = 1.0, -1.0
    return target


def _first_at_or_after(indices: np.ndarray, start: int) -> int | None:
    k = np.searchsorted(indices, start)
    return int(indices[k]) if k < len(indices) else None


def simulate(prices: pd.DataFrame, spec: StrategySpec, book: SignalBook | None = None,
             start: int = 0, end: int | None = None) -> BacktestResult:
    """Trade `spec` on bars [start, end) of `prices` (already prepared), using signals from all earlier bars too."""
    end = len(prices) if end is None else end
    if end - start < 2:
        raise DataError(f"the trading window has {end - start} bar(s); need at least 2")
    book = book or SignalBook(prices)
    o, h, lo, c = (prices[col].to_numpy() for col in COLUMNS)
    n = len(c)
    cost_in = 1.0 + spec.commission
    fraction = spec.position_size

    if spec.always_in:
        targets = np.full(n, np.nan)
        entries_by_dir = {1.0: np.array([start - 1]), -1.0: np.array([], dtype=int)}
    else:
        buy, sell = book.signals(spec)
        targets = _targets(buy, sell, spec.direction)
        entries_by_dir = {1.0: np.flatnonzero(targets == 1.0), -1.0: np.flatnonzero(targets == -1.0)}
    opens_any = np.union1d(entries_by_dir[1.0], entries_by_dir[-1.0])
    leaves = {1.0: np.flatnonzero(~np.isnan(targets) & (targets != 1.0)),
              -1.0: np.flatnonzero(~np.isnan(targets) & (targets != -1.0))}

    equity = np.full(n, np.nan)
    position = np.zeros(n, dtype=np.int8)
    rows: list[tuple] = []
    capital = 1.0
    search_from = start - 1 if spec.always_in else start  # signal bars are <= end - 2 (fill on the next open)
    flip: tuple[float, int] | None = None  # (direction, bar) of a reversal filled at the same open as an exit
    while True:
        if flip is not None:
            (direction, entry_bar), flip = flip, None
        else:
            signal_bar = _first_at_or_after(opens_any, search_from)
            if signal_bar is None or signal_bar > end - 2:
                break
            direction = float(targets[signal_bar]) if not spec.always_in else 1.0
            entry_bar = signal_bar + 1
        fill_in = o[entry_bar] * (1.0 + direction * spec.slippage)
        notional = fraction * capital / cost_in
        shares = direction * notional / fill_in
        cash = capital - shares * fill_in - spec.commission * notional

        leave_signal = _first_at_or_after(leaves[direction], entry_bar)
        if leave_signal is not None and leave_signal > end - 2:
            leave_signal = None
        exit_bar = leave_signal + 1 if leave_signal is not None else end - 1
        exit_price = o[exit_bar] if leave_signal is not None else c[end - 1]
        reason = "signal" if leave_signal is not None else "end"
        last_held = exit_bar - 1 if leave_signal is not None else end - 1

        # stops: the first bar from entry until the planned exit whose range reaches a stop level
        if spec.stop_loss is not None or spec.take_profit is not None:
            scan_to = exit_bar if leave_signal is not None else end  # exclusive
            stop_px = fill_in * (1.0 - direction * spec.stop_loss) if spec.stop_loss is not None else None
            take_px = fill_in * (1.0 + direction * spec.take_profit) if spec.take_profit is not None else None
            hit_stop = hit_take = np.zeros(scan_to - entry_bar, dtype=bool)
            if stop_px is not None:
                hit_stop = (lo[entry_bar:scan_to] <= stop_px) if direction > 0 else (h[entry_bar:scan_to] >= stop_px)
            if take_px is not None:
                hit_take = (h[entry_bar:scan_to] >= take_px) if direction > 0 else (lo[entry_bar:scan_to] <= take_px)
            hits = hit_stop | hit_take
            if hits.any():
                k = int(np.argmax(hits))
                bar = entry_bar + k
                gap_open = o[bar] if k > 0 else fill_in
                if hit_stop[k]:
                    exit_price = min(gap_open, stop_px) if direction > 0 else max(gap_open, stop_px)
                    reason = "stop_loss"
                else:
                    exit_price = max(gap_open, take_px) if direction > 0 else min(gap_open, take_px)
                    reason = "take_profit"
                exit_bar = last_held = bar
                leave_signal = None

        fill_out = exit_price * (1.0 - direction * spec.slippage)
        marked = cash + shares * c[entry_bar:last_held + 1]
        busted = np.flatnonzero(marked <= 0.0)
        if len(busted):  # the position lost all the equity (a short in a rally): closed, trading stops
            exit_bar = last_held = entry_bar + int(busted[0])
            marked = marked[: busted[0] + 1]
            fill_out, reason = c[exit_bar], "bankrupt"
        equity[entry_bar:last_held + 1] = marked
        position[entry_bar:last_held + 1] = int(direction)
        new_capital = cash + shares * fill_out - spec.commission * abs(shares) * fill_out
        if reason == "bankrupt":
            new_capital = 0.0
            equity[exit_bar:end] = 0.0
        equity[exit_bar] = new_capital
        rows.append((prices.index[entry_bar], prices.index[exit_bar], "long" if direction > 0 else "short",
                     fill_in, fill_out, (new_capital - capital) / (fraction * capital),
                     new_capital - capital, exit_bar - entry_bar + (0 if reason.startswith("signal") else 1), reason))
        capital = new_capital
        if reason in ("end", "bankrupt"):
            break
        if reason == "signal":
            wanted = targets[leave_signal]
            search_from = leave_signal + 1
            if wanted == -direction:
                flip = (-direction, exit_bar)
        else:
            search_from = exit_bar  # after a stop, a new signal from the stop bar's close on

    window = slice(start, end)
    curve = equity[window]
    curve[0] = 1.0 if np.isnan(curve[0]) else curve[0]
    curve = pd.Series(curve, index=prices.index[window], name="equity").ffill()
    held = pd.Series(position[window], index=prices.index[window], name="position")
    trades = pd.DataFrame(rows, columns=["entry_time", "exit_time", "side", "entry_price", "exit_price",
                                         "return", "pnl", "bars", "exit_reason"])
    metrics = compute_metrics(curve, trades, held)
    return BacktestResult(spec=spec, equity=curve, position=held, trades=trades, metrics=metrics,
                          prices=prices.iloc[window])


def buy_and_hold_spec(like: StrategySpec) -> StrategySpec:
    """The baseline: buy-and-hold with the same costs as `like`."""
    return parse_spec({"strategy": "buy_and_hold", "commission": like.commission, "slippage": like.slippage})


def run_window(prices: pd.DataFrame, spec: StrategySpec, book: SignalBook, start: int, end: int,
               with_benchmark: bool = True) -> BacktestResult:
    """Backtest on bars [start, end) of prepared prices, with the buy-and-hold baseline over the same bars."""
    result = simulate(prices, spec, book, start, end)
    if with_benchmark:
        base = result if spec.always_in and spec.position_size == 1.0 else \
            simulate(prices, buy_and_hold_spec(spec), book, start, end)
        result.benchmark_equity, result.benchmark = base.equity, base.metrics
    return result


def run_backtest(prices: pd.DataFrame, spec: dict | str | StrategySpec) -> BacktestResult:
    """The core API: validate `spec`, backtest it over all of `prices`, with the buy-and-hold baseline."""
    parsed = parse_spec(spec)
    frame = prepare_prices(prices)
    check_history(frame, parsed)
    return run_window(frame, parsed, SignalBook(frame), 0, len(frame))


def check_history(prices: pd.DataFrame, spec: StrategySpec, bars: int | None = None) -> None:
    """Refuse histories too short for the spec's indicators to ever produce a signal."""
    available = len(prices) if bars is None else bars
    need = spec.lookback + 2
    if spec.lookback and available < need:
        raise DataError(f"{spec.label()} needs at least {need} bars of history; only {available} available. "
                        f"Use a longer period or shorter indicator windows.")
