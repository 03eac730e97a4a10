"""The one rule for ticker symbols, used by market data, trading, alerts and slash commands.

A symbol is written the way Yahoo Finance writes it, case-insensitively and with an optional leading `$` (a
cashtag): letters and digits, then letters, digits, `.`, `-` or `=`; an index starts with `^`. So AAPL, aapl,
$AAPL, BRK.B, BRK-B, 7203.T, BTC-USD, EURUSD=X, GC=F and ^GSPC are symbols; `$$$`, `A B` and `AAPL;` are not.
"""

from __future__ import annotations

import re

from core.errors import UserError

SYMBOL_RE = re.compile(r"\^?[A-Z0-9][A-Z0-9.=-]{0,14}")
SYMBOL_EXAMPLES = "AAPL, BRK.B, BTC-USD, EURUSD=X, ^GSPC"


def valid_symbol(text: object, error: type[UserError] = UserError) -> str:
    """`text` as a ticker symbol (upper case, no `$`), or `error` (a `UserError` class) saying it is not one."""
    symbol = str(text or "").strip().upper().lstrip("$")
    if not SYMBOL_RE.fullmatch(symbol):
        raise error(f"{text!r} is not a ticker symbol (expected e.g. {SYMBOL_EXAMPLES}).")
    return symbol
