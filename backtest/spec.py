"""The strategy spec: a small JSON-able dict a model (or a person) writes instead of code.

Why a spec and not code: the trader agent must be able to propose and refine
strategies without running arbitrary Python against money-adjacent numbers.
A spec is data; `parse_spec` checks every field and turns mistakes into one
clear `SpecError` sentence that names the field and the allowed values.

Shape (every key optional except `strategy`):

    {
      "strategy": "rsi",                      # a preset (see PRESETS) or "custom"
      "params": {"period": 14, "low": 30, "high": 70},
      "entry": [["close", ">", "sma(200)"]],  # extra BUY conditions, all must hold
      "exit":  ["rsi(14) > 80"],              # extra SELL conditions, any one suffices
      "direction": "long",                    # long | short | long_short
      "stop_loss": 0.05, "take_profit": 0.15, # fractions of the fill price
      "position_size": 1.0,                   # fraction of equity per trade, 0 < x <= 1
      "commission": 0.0005, "slippage": 0.0005,
      "name": "rsi with trend filter"
    }

Rules are buy (`entry`) and sell (`exit`) signals evaluated at each bar's
close and filled at the next bar's open. `long` buys on entry and goes flat on
exit; `short` sells short on exit and covers on entry; `long_short` flips
between the two. A condition is `[left, op, right]`, `{"left","op","right"}`
or the string "left op right"; operands are numbers, price fields
(open/high/low/close/volume) or indicators: sma(N), ema(N), rsi(N),
macd(F,S,G), macd_signal(F,S,G), macd_hist(F,S,G), bb_lower(N,K),
bb_mid(N,K), bb_upper(N,K). Operators: > < >= <= crosses_above crosses_below.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from backtest.conditions import (
    DIRECTIONS,
    BacktestError,
    Condition,
    DataError,
    Operand,
    SpecError,
    _conditions,
    _number,
    _period,
    parse_condition,
)

__all__ = ["BacktestError", "Condition", "DataError", "DIRECTIONS", "Operand", "SpecError", "StrategySpec",
           "describe_presets", "parse_condition", "parse_spec"]


# preset -> default params. Each preset expands to buy/sell conditions in `_preset_rules`.
PRESETS: dict[str, dict[str, float]] = {
    "buy_and_hold": {},
    "sma_cross": {"fast": 20, "slow": 50},
    "ema_cross": {"fast": 12, "slow": 26},
    "rsi": {"period": 14, "low": 30, "high": 70},
    "macd_cross": {"fast": 12, "slow": 26, "signal": 9},
    "bollinger": {"period": 20, "std": 2.0},
    "custom": {},
}
PRESET_HELP = {
    "buy_and_hold": "buy at the first bar, hold to the end",
    "sma_cross": "buy when sma(fast) crosses above sma(slow), sell on the cross back",
    "ema_cross": "the same with exponential averages",
    "rsi": "buy when rsi(period) < low, sell when rsi(period) > high",
    "macd_cross": "buy when macd crosses above its signal line, sell on the cross back",
    "bollinger": "mean reversion: buy when close < lower band (period, std), sell when close > middle band",
    "custom": "only your own entry/exit conditions",
}
DEFAULT_COMMISSION = 0.0005
DEFAULT_SLIPPAGE = 0.0005
SPEC_KEYS = ("strategy", "params", "entry", "exit", "direction", "stop_loss", "take_profit", "position_size",
             "commission", "slippage", "name")
_INTEGER_PARAMS = {"fast", "slow", "signal", "period"}


@dataclass(frozen=True)
class StrategySpec:
    """A validated spec; `to_dict()` gives back the canonical JSON-able form."""

    strategy: str
    params: dict = field(default_factory=dict)
    entry: tuple[Condition, ...] = ()
    exit: tuple[Condition, ...] = ()
    extra_entry: tuple[Condition, ...] = ()
    extra_exit: tuple[Condition, ...] = ()
    direction: str = "long"
    stop_loss: float | None = None
    take_profit: float | None = None
    position_size: float = 1.0
    commission: float = DEFAULT_COMMISSION
    slippage: float = DEFAULT_SLIPPAGE
    name: str = ""

    @property
    def always_in(self) -> bool:
        return self.strategy == "buy_and_hold"

    @property
    def lookback(self) -> int:
        operands = [o for c in self.entry + self.exit for o in (c.left, c.right)]
        return max([o.lookback for o in operands], default=0)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"strategy": self.strategy}
        if self.params:
            out["params"] = dict(self.params)
        if self.extra_entry:
            out["entry"] = [c.label() for c in self.extra_entry]
        if self.extra_exit:
            out["exit"] = [c.label() for c in self.extra_exit]
        out["direction"] = self.direction
        for key in ("stop_loss", "take_profit"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out.update(position_size=self.position_size, commission=self.commission, slippage=self.slippage)
        if self.name:
            out["name"] = self.name
        return out

    def label(self) -> str:
        """A short one-line description for tables."""
        if self.name:
            return self.name
        params = ",".join(f"{k}={v:g}" for k, v in self.params.items())
        parts = [f"{self.strategy}({params})" if params else self.strategy]
        parts += [f"+{c.label()}" for c in self.extra_entry]
        parts += [f"|{c.label()}" for c in self.extra_exit]
        if self.direction != "long":
            parts.append(self.direction)
        if self.stop_loss is not None:
            parts.append(f"SL{self.stop_loss:.1%}")
        if self.take_profit is not None:
            parts.append(f"TP{self.take_profit:.1%}")
        if self.position_size != 1.0:
            parts.append(f"size{self.position_size:g}")
        return " ".join(parts)


def _fraction(spec: dict, key: str, low: float, high: float, default: float | None, hint: str) -> float | None:
    if spec.get(key) is None:
        return default
    value = _number(spec[key], key)
    if not low <= value <= high:
        raise SpecError(f"{key} must be between {low:g} and {high:g} ({hint}), got {spec[key]!r}")
    return value


def _preset_params(strategy: str, raw: Any) -> dict:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SpecError(f"params must be an object like {{\"fast\": 20}}, got {type(raw).__name__}")
    defaults = PRESETS[strategy]
    unknown = sorted(set(raw) - set(defaults))
    if unknown:
        allowed = ", ".join(defaults) if defaults else "none"
        raise SpecError(f"params for {strategy}: unknown {', '.join(map(repr, unknown))}; allowed: {allowed}")
    params: dict[str, float] = {}
    for key, default in defaults.items():
        value = raw.get(key, default)
        if key in _INTEGER_PARAMS:
            params[key] = _period(value, f"params.{key}")
        else:
            params[key] = _number(value, f"params.{key}")
    if "fast" in params and params["fast"] >= params["slow"]:
        raise SpecError(f"params for {strategy}: fast ({params['fast']}) must be shorter than slow ({params['slow']})")
    if strategy == "rsi" and not 0 < params["low"] < params["high"] < 100:
        raise SpecError(f"params for rsi: need 0 < low < high < 100, "
                        f"got low={params['low']:g} high={params['high']:g}")
    if strategy == "bollinger" and not 0 < params["std"] <= 10:
        raise SpecError(f"params for bollinger: std must be between 0 and 10, got {params['std']:g}")
    return params


def _preset_rules(strategy: str, p: dict) -> tuple[list[Condition], list[Condition]]:
    def c(left, op, right) -> Condition:
        return parse_condition([left, op, right], strategy)

    if strategy in ("sma_cross", "ema_cross"):
        kind = strategy[:3]
        fast, slow = f"{kind}({p['fast']})", f"{kind}({p['slow']})"
        return [c(fast, "crosses_above", slow)], [c(fast, "crosses_below", slow)]
    if strategy == "rsi":
        line = f"rsi({p['period']})"
        return [c(line, "<", p["low"])], [c(line, ">", p["high"])]
    if strategy == "macd_cross":
        args = f"({p['fast']},{p['slow']},{p['signal']})"
        return [c("macd" + args, "crosses_above", "macd_signal" + args)], \
            [c("macd" + args, "crosses_below", "macd_signal" + args)]
    if strategy == "bollinger":
        args = f"({p['period']},{p['std']})"
        return [c("close", "<", "bb_lower" + args)], [c("close", ">", "bb_mid" + args)]
    return [], []


def parse_spec(raw: Any) -> StrategySpec:
    """Validate a spec (a dict, a JSON string, or an already parsed spec)."""
    if isinstance(raw, StrategySpec):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("{"):
            try:
                raw = json.loads(text)
            except json.JSONDecodeError as exc:
                raise SpecError(f"the spec is not valid JSON: {exc.msg} at position {exc.pos}") from None
        else:
            raw = {"strategy": text}
    if not isinstance(raw, dict):
        raise SpecError(f"a spec is an object like {{\"strategy\": \"rsi\", \"params\": {{\"low\": 30}}}}, "
                        f"got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(SPEC_KEYS))
    if unknown:
        raise SpecError(f"unknown spec key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(SPEC_KEYS)}")
    strategy = str(raw.get("strategy") or "").strip().lower()
    if not strategy:
        strategy = "custom" if raw.get("entry") else ""
    if strategy not in PRESETS:
        raise SpecError(f"unknown strategy {raw.get('strategy')!r}; use one of {', '.join(PRESETS)}")
    params = _preset_params(strategy, raw.get("params"))
    entry, exit_ = _preset_rules(strategy, params)
    extra_entry = _conditions(raw.get("entry"), "entry")
    extra_exit = _conditions(raw.get("exit"), "exit")
    if strategy == "custom" and not extra_entry:
        raise SpecError("a custom strategy needs entry conditions, e.g. \"entry\": [[\"close\", \">\", \"sma(50)\"]]")
    if strategy == "buy_and_hold" and (extra_entry or extra_exit):
        raise SpecError("buy_and_hold takes no entry/exit conditions; use strategy 'custom' for your own rules")
    direction = str(raw.get("direction") or "long").strip().lower().replace("/", "_").replace("-", "_")
    if direction not in DIRECTIONS:
        raise SpecError(f"direction must be one of {', '.join(DIRECTIONS)}, got {raw.get('direction')!r}")
    if strategy == "buy_and_hold" and direction != "long":
        raise SpecError("buy_and_hold is long only")
    if direction != "long" and strategy == "custom" and not extra_exit:
        raise SpecError(f"direction {direction} needs exit (sell) conditions: shorts open on the sell signal")
    name = raw.get("name") or ""
    if not isinstance(name, str) or len(name) > 80:
        raise SpecError("name must be a short text (at most 80 characters)")
    return StrategySpec(
        strategy=strategy,
        params=params,
        entry=tuple(entry) + extra_entry,
        exit=tuple(exit_) + extra_exit,
        extra_entry=extra_entry,
        extra_exit=extra_exit,
        direction=direction,
        stop_loss=_fraction(raw, "stop_loss", 0.001, 0.99, None, "a fraction: 0.05 means 5%"),
        take_profit=_fraction(raw, "take_profit", 0.001, 10.0, None, "a fraction: 0.1 means 10%"),
        position_size=_fraction(raw, "position_size", 0.01, 1.0, 1.0, "a fraction of equity: 0.5 means half"),
        commission=_fraction(raw, "commission", 0.0, 0.05, DEFAULT_COMMISSION, "a fraction: 0.001 means 0.1%"),
        slippage=_fraction(raw, "slippage", 0.0, 0.05, DEFAULT_SLIPPAGE, "a fraction: 0.0005 means 5 bp"),
        name=name.strip(),
    )


def describe_presets() -> str:
    """One line per preset with its default params, for tool descriptions and usage text."""
    lines = []
    for name, defaults in PRESETS.items():
        params = ", ".join(f"{k}={v:g}" for k, v in defaults.items())
        lines.append(f"- {name}" + (f" ({params})" if params else "") + f": {PRESET_HELP[name]}")
    return "\n".join(lines)
