"""Alert rules: parsing the words of `/alert …` into an `AlertRule`, and describing one.

Forms (symbol first):
  SYMBOL above|below PRICE     the last price crosses a level
  SYMBOL move PCT              the day move reaches PCT% (either way; +PCT up only, -PCT down only)
  SYMBOL rsi[N] above|below X  RSI(N, default 14) crosses X
  SYMBOL cross smaN|emaN       the price crosses a moving average (either direction)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import UserError
from core.symbols import valid_symbol

KINDS = ("price", "move", "rsi", "cross")
USAGE = ("`/alert SYMBOL above|below PRICE`, `/alert SYMBOL move PCT`, `/alert SYMBOL rsi above|below N` "
         "or `/alert SYMBOL cross sma50` (any smaN/emaN)")
_AVERAGE = re.compile(r"^(sma|ema)(\d{1,3})$")
_RSI = re.compile(r"^rsi(\d{0,3})$")


class AlertInputError(UserError, ValueError):
    """An alert, watchlist or notification setting was written wrongly; the message says how to write it."""


@dataclass(frozen=True)
class AlertRule:
    symbol: str
    kind: str  # price | move | rsi | cross
    op: str  # above | below (price, rsi, move with a sign) | either (move without a sign) | cross
    threshold: float  # price level, percent, RSI level; 0 for cross
    indicator: str = ""  # "rsi14", "sma50", "ema20"; "" for price and move

    def describe(self) -> str:
        if self.kind == "price":
            return f"{self.symbol} {self.op} {self.threshold:,.2f}"
        if self.kind == "move":
            sign = {"above": "up ", "below": "down "}.get(self.op, "")
            return f"{self.symbol} moves {sign}{abs(self.threshold):g}% on the day"
        if self.kind == "rsi":
            return f"{self.symbol} {self.indicator.upper()} {self.op} {self.threshold:g}"
        return f"{self.symbol} crosses its {self.indicator.upper()}"

    def text(self) -> str:
        """The command words that recreate this rule."""
        if self.kind == "price":
            return f"{self.symbol} {self.op} {self.threshold:g}"
        if self.kind == "move":
            prefix = "+" if self.op == "above" else ""
            return f"{self.symbol} move {prefix}{self.threshold:g}"
        if self.kind == "rsi":
            return f"{self.symbol} {self.indicator} {self.op} {self.threshold:g}"
        return f"{self.symbol} cross {self.indicator}"


def parse_symbol(word: str) -> str:
    return valid_symbol(word, AlertInputError)


def _number(word: str, what: str) -> float:
    try:
        value = float(word.replace(",", "").rstrip("%"))
    except ValueError:
        raise AlertInputError(f"{word!r} is not a number for the {what}.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise AlertInputError(f"{word!r} is not a number for the {what}.")
    return value


def parse_rule(words: list[str]) -> AlertRule:
    """An `AlertRule` from command words, or `AlertInputError` saying what is wrong."""
    words = [w for w in words if w]
    if len(words) < 3:
        raise AlertInputError(f"An alert needs a symbol, a condition and a value: {USAGE}.")
    symbol, verb, rest = parse_symbol(words[0]), words[1].lower(), words[2:]
    if len(rest) > 2 or (verb != "rsi" and not _RSI.match(verb) and len(rest) != 1):
        raise AlertInputError(f"Too many words for an alert: {USAGE}.")
    if verb in ("above", "below"):
        level = _number(rest[0], "price level")
        if level <= 0:
            raise AlertInputError("The price level must be above 0.")
        return AlertRule(symbol, "price", verb, level)
    if verb == "move":
        raw = rest[0]
        pct = _number(raw, "day move in percent")
        if pct == 0 or abs(pct) > 100:
            raise AlertInputError("The day move must be a percentage between 0 and 100, e.g. 5 or -3.")
        op = "above" if raw.startswith("+") else "below" if pct < 0 else "either"
        return AlertRule(symbol, "move", op, pct)
    rsi = _RSI.match(verb)
    if rsi:
        window = int(rsi.group(1) or 14)
        if len(rest) != 2 or rest[0].lower() not in ("above", "below"):
            raise AlertInputError(f"Write an RSI alert as `/alert {symbol} rsi above 70` or `rsi below 30`.")
        if not 2 <= window <= 400:
            raise AlertInputError("The RSI window must be between 2 and 400 bars.")
        level = _number(rest[1], "RSI level")
        if not 0 < level < 100:
            raise AlertInputError("The RSI level must be between 0 and 100.")
        return AlertRule(symbol, "rsi", rest[0].lower(), level, f"rsi{window}")
    if verb == "cross":
        average = _AVERAGE.match(rest[0].lower())
        if not average or not 2 <= int(average.group(2)) <= 400:
            raise AlertInputError(f"{rest[0]!r} is not a moving average: use smaN or emaN, e.g. sma50 or ema20.")
        return AlertRule(symbol, "cross", "cross", 0.0, f"{average.group(1)}{int(average.group(2))}")
    raise AlertInputError(f"{words[1]!r} is not an alert condition: {USAGE}.")
