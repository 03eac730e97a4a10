"""Strategy rules as data: operands (numbers, price fields, indicators), conditions, and the backtest errors.

A condition is `[left, op, right]`, `{"left","op","right"}` or the string
"left op right"; operands are numbers, price fields (open/high/low/close/volume)
or indicators: sma(N), ema(N), rsi(N), macd(F,S,G), macd_signal(F,S,G),
macd_hist(F,S,G), bb_lower(N,K), bb_mid(N,K), bb_upper(N,K). Operators:
> < >= <= crosses_above crosses_below. Mistakes become one `SpecError` sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.errors import UserError


class BacktestError(UserError, ValueError):
    """Base for every backtest problem the person or model can fix; the message says how."""


class SpecError(BacktestError):
    """The strategy spec is malformed."""


class DataError(BacktestError):
    """The price history cannot be backtested (too short, missing columns, ...)."""


PRICE_FIELDS = ("open", "high", "low", "close", "volume")
# indicator name -> (argument names, default arguments or None when arguments are required)
INDICATORS: dict[str, tuple[tuple[str, ...], tuple | None]] = {
    "sma": (("period",), None),
    "ema": (("period",), None),
    "rsi": (("period",), (14,)),
    "macd": (("fast", "slow", "signal"), (12, 26, 9)),
    "macd_signal": (("fast", "slow", "signal"), (12, 26, 9)),
    "macd_hist": (("fast", "slow", "signal"), (12, 26, 9)),
    "bb_lower": (("period", "std"), (20, 2.0)),
    "bb_mid": (("period", "std"), (20, 2.0)),
    "bb_upper": (("period", "std"), (20, 2.0)),
}
OPERATORS = (">", "<", ">=", "<=", "crosses_above", "crosses_below")
DIRECTIONS = ("long", "short", "long_short")
MAX_PERIOD = 1000


@dataclass(frozen=True)
class Operand:
    """A number, a price field or an indicator with its arguments."""

    name: str  # "number", a price field, or an indicator name
    args: tuple = ()
    value: float = 0.0

    @property
    def is_number(self) -> bool:
        return self.name == "number"

    @property
    def lookback(self) -> int:
        """Bars of history needed before the operand has a value."""
        if self.name in ("sma", "ema", "rsi", "bb_lower", "bb_mid", "bb_upper"):
            return int(self.args[0]) + (1 if self.name == "rsi" else 0)
        if self.name.startswith("macd"):
            return int(self.args[1]) + int(self.args[2])
        return 0

    def label(self) -> str:
        if self.is_number:
            return f"{self.value:g}"
        if not self.args:
            return self.name
        return f"{self.name}({','.join(f'{a:g}' for a in self.args)})"


@dataclass(frozen=True)
class Condition:
    left: Operand
    op: str
    right: Operand

    def label(self) -> str:
        return f"{self.left.label()} {self.op} {self.right.label()}"


_CALL = re.compile(r"^([a-z_]+)\s*(?:\((.*)\))?$")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise SpecError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().rstrip("%")) / (100.0 if value.strip().endswith("%") else 1.0)
        except ValueError:
            raise SpecError(f"{where}: expected a number, got {value!r}") from None
    else:
        raise SpecError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
    if number != number or number in (float("inf"), float("-inf")):
        raise SpecError(f"{where}: expected a finite number, got {value!r}")
    return number


def _period(value: Any, where: str) -> int:
    number = _number(value, where)
    if number != int(number) or not 1 <= number <= MAX_PERIOD:
        raise SpecError(f"{where}: must be a whole number of bars from 1 to {MAX_PERIOD}, got {value!r}")
    return int(number)


def parse_operand(raw: Any, where: str = "operand") -> Operand:
    """`30`, `"close"`, `"sma(50)"`, `"macd(12,26,9)"` -> Operand."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return Operand("number", value=_number(raw, where))
    if not isinstance(raw, str) or not raw.strip():
        raise SpecError(f"{where}: expected a number, a price field or an indicator like 'sma(50)', got {raw!r}")
    text = raw.strip().lower().replace(" ", "")
    try:
        return Operand("number", value=float(text))
    except ValueError:
        pass
    match = _CALL.match(text)
    if not match:
        raise SpecError(f"{where}: cannot read {raw!r}; write an indicator like 'sma(50)' or 'rsi(14)'")
    name, arg_text = match.group(1), match.group(2)
    if name in PRICE_FIELDS:
        if arg_text is not None:
            raise SpecError(f"{where}: the price field {name!r} takes no arguments")
        return Operand(name)
    if name not in INDICATORS:
        known = ", ".join(list(PRICE_FIELDS) + [f"{n}({','.join(a)})" for n, (a, _) in INDICATORS.items()])
        raise SpecError(f"{where}: unknown operand {name!r}; use a number or one of {known}")
    arg_names, defaults = INDICATORS[name]
    raw_args = [a for a in (arg_text or "").split(",") if a.strip()]
    if not raw_args:
        if defaults is None:
            raise SpecError(f"{where}: {name} needs its {', '.join(arg_names)}, e.g. '{name}(20)'")
        raw_args = list(defaults)
    if len(raw_args) != len(arg_names):
        raise SpecError(f"{where}: {name} takes {len(arg_names)} argument(s) ({', '.join(arg_names)}), "
                        f"got {len(raw_args)}")
    args = []
    for arg_name, arg in zip(arg_names, raw_args):
        if arg_name == "std":
            width = _number(arg, f"{where}: {name} {arg_name}")
            if not 0 < width <= 10:
                raise SpecError(f"{where}: {name} std must be between 0 and 10, got {arg!r}")
            args.append(width)
        else:
            args.append(_period(arg, f"{where}: {name} {arg_name}"))
    if name.startswith("macd") and args[0] >= args[1]:
        raise SpecError(f"{where}: {name} fast ({args[0]}) must be shorter than slow ({args[1]})")
    return Operand(name, tuple(args))


def parse_condition(raw: Any, where: str) -> Condition:
    if isinstance(raw, str):
        parts = raw.split()
        # allow spaces inside parentheses: re-join tokens until parentheses balance
        tokens: list[str] = []
        for part in parts:
            if tokens and tokens[-1].count("(") > tokens[-1].count(")"):
                tokens[-1] += part
            else:
                tokens.append(part)
        raw = tokens
    if isinstance(raw, dict):
        unknown = set(raw) - {"left", "op", "right"}
        if unknown or len(raw) != 3:
            raise SpecError(f"{where}: a condition dict has exactly the keys left, op, right; got {sorted(raw)}")
        raw = [raw["left"], raw["op"], raw["right"]]
    if not isinstance(raw, (list, tuple)) or len(raw) != 3:
        raise SpecError(f"{where}: a condition is [left, op, right], e.g. ['rsi(14)', '<', 30]; got {raw!r}")
    left, op, right = raw
    op = str(op).strip().lower()
    if op not in OPERATORS:
        raise SpecError(f"{where}: unknown operator {op!r}; use one of {', '.join(OPERATORS)}")
    condition = Condition(parse_operand(left, f"{where} left"), op, parse_operand(right, f"{where} right"))
    if condition.left.is_number and condition.right.is_number:
        raise SpecError(f"{where}: compares two numbers ({condition.label()}); one side must be a price or indicator")
    return condition


def _conditions(raw: Any, where: str) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if isinstance(raw, (str, dict)) or (isinstance(raw, (list, tuple)) and len(raw) == 3
                                         and isinstance(raw[1], str) and raw[1].strip().lower() in OPERATORS):
        raw = [raw]  # a single condition given without the outer list
    if not isinstance(raw, (list, tuple)):
        raise SpecError(f"{where}: expected a list of conditions, got {type(raw).__name__}")
    if len(raw) > 8:
        raise SpecError(f"{where}: at most 8 conditions, got {len(raw)}")
    return tuple(parse_condition(item, f"{where}[{i}]") for i, item in enumerate(raw))
