"""Fixed-fractional position sizing: how many shares put RISK% of equity at risk between entry and stop.

    budget     = equity × risk%
    per share  = entry − stop            (stop from a price, or entry − K × ATR)
    shares     = floor(budget / per share), then capped by the risk gate's
                 per-order notional and position-size limits and by buying power.

Long positions only: a stop at or above the entry is refused. Every step of
the arithmetic is returned as text, so the person can check it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.errors import UserError
from trading.risk import RiskLimits


class SizingError(UserError, ValueError):
    """The sizing request cannot be answered as asked (bad risk, bad stop)."""


@dataclass(frozen=True)
class Sizing:
    symbol: str
    entry: float
    stop: float
    risk_pct: float
    equity: float
    budget: float
    risk_per_share: float
    uncapped_shares: int
    shares: int
    binding_cap: str  # "" when the risk budget decided, else the cap that did
    cost: float
    actual_risk: float
    actual_risk_pct: float
    steps: tuple[str, ...]  # the arithmetic, one line each
    atr: float | None = None
    atr_k: float | None = None

    @property
    def summary(self) -> str:
        head = (f"{self.symbol}: {self.shares:,} shares at {self.entry:,.2f} with a stop at {self.stop:,.2f} risks "
                f"${self.actual_risk:,.2f} ({self.actual_risk_pct:.2f}% of equity)")
        head += f", capped by {self.binding_cap}." if self.binding_cap else "."
        return head + "\n" + "\n".join(f"- {s}" for s in self.steps)


def _number(name: str, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SizingError(f"The {name} {value!r} is not a number.") from None
    if not math.isfinite(number):
        raise SizingError(f"The {name} {value!r} is not a finite number.")
    return number


def position_size(symbol: str, *, entry: float, equity: float, buying_power: float, risk_pct: float,
                  limits: RiskLimits, stop: float | None = None, atr: float | None = None,
                  atr_k: float | None = None, position_qty: float = 0.0) -> Sizing:
    """Shares for a long position risking `risk_pct` % of `equity` between `entry` and the stop."""
    entry, equity, risk_pct = _number("entry price", entry), _number("equity", equity), _number("risk", risk_pct)
    if entry <= 0:
        raise SizingError(f"The entry price {entry:g} must be positive.")
    if equity <= 0:
        raise SizingError("The account has no equity to size a position from.")
    if not 0 < risk_pct <= 100:
        raise SizingError(f"Risk {risk_pct:g}% must be above 0 and at most 100 (1 to 2% per trade is common).")
    steps = []
    if (stop is None) == (atr_k is None):
        raise SizingError("Give either a stop price or an ATR multiple (e.g. `stop 142.5` or `atr 2`).")
    if stop is not None:
        stop = _number("stop", stop)
    else:
        atr_k = _number("ATR multiple", atr_k)
        if atr is None or not math.isfinite(float(atr)) or float(atr) <= 0:
            raise SizingError(f"No ATR is available for {symbol} (too little price history).")
        if atr_k <= 0:
            raise SizingError(f"The ATR multiple {atr_k:g} must be positive.")
        atr = float(atr)
        stop = entry - atr_k * atr
        steps.append(f"Stop: entry {entry:,.2f} − {atr_k:g} × ATR(14) {atr:,.2f} = {stop:,.2f}")
    if stop >= entry:
        raise SizingError(f"A stop at {stop:,.2f} is at or above the entry {entry:,.2f}: for a long position the "
                          "stop must be below the entry.")
    if stop <= 0:
        raise SizingError(f"A stop at {stop:,.2f} is not a price; use a smaller ATR multiple or a stop price.")
    budget = equity * risk_pct / 100
    per_share = entry - stop
    uncapped = math.floor(budget / per_share + 1e-9)
    steps.append(f"Risk budget: {risk_pct:g}% × equity ${equity:,.2f} = ${budget:,.2f}")
    steps.append(f"Risk per share: entry {entry:,.2f} − stop {stop:,.2f} = {per_share:,.2f}")
    steps.append(f"Shares for the budget: ${budget:,.2f} / {per_share:,.2f} = {budget / per_share:,.2f} "
                 f"→ {uncapped:,}")
    caps = {
        f"the per-order limit ${limits.max_order_notional:,.2f}": limits.max_order_notional / entry,
        f"the position limit {limits.max_position_pct:g}% of equity": max(
            0.0, equity * limits.max_position_pct / 100 / entry - position_qty),
        f"buying power ${buying_power:,.2f}": max(0.0, buying_power) / entry,
    }
    binding, shares = "", uncapped
    for name, room in caps.items():
        allowed = math.floor(room + 1e-9)
        held = f" minus {position_qty:g} held" if "position" in name and position_qty else ""
        steps.append(f"Cap, {name}{held}: {allowed:,} shares at {entry:,.2f}")
        if allowed < shares:
            binding, shares = name, allowed
    actual = shares * per_share
    steps.append(f"Result: {shares:,} shares = ${shares * entry:,.2f}; risk {shares:,} × {per_share:,.2f} = "
                 f"${actual:,.2f} ({actual / equity * 100:.2f}% of equity)")
    if limits.kill_switch:
        steps.append("Note: trading is switched off by the operator (TRADING_KILL_SWITCH); no order can be placed.")
    if shares == 0:
        steps.append("Zero shares: one share would already risk more than the budget or break a cap.")
    return Sizing(symbol=symbol, entry=entry, stop=stop, risk_pct=risk_pct, equity=equity, budget=budget,
                  risk_per_share=per_share, uncapped_shares=uncapped, shares=shares, binding_cap=binding,
                  cost=shares * entry, actual_risk=actual, actual_risk_pct=actual / equity * 100, steps=tuple(steps),
                  atr=atr, atr_k=atr_k)
