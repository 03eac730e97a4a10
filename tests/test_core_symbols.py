"""One rule for ticker symbols (core/symbols.py), the same for market data, orders, alerts and /backtest."""

from __future__ import annotations

import pytest

from alerts.rules import AlertInputError, parse_symbol
from chat.commands import CommandError
from chat.commands.backtest import parse_args
from core.errors import UserError
from core.symbols import valid_symbol
from market.client import normalize_symbol
from market.errors import InvalidRequest
from trading.desk import TradingDesk, TradingInputError


def refusal(text) -> str:
    """The one message for a refused symbol, whoever checks it."""
    return f"{text!r} is not a ticker symbol (expected e.g. AAPL, BRK.B, BTC-USD, EURUSD=X, ^GSPC)."


@pytest.mark.parametrize("text, symbol", [
    ("AAPL", "AAPL"),
    ("aapl", "AAPL"),
    ("  msft ", "MSFT"),
    ("$nvda", "NVDA"),
    ("BRK.B", "BRK.B"),
    ("brk-b", "BRK-B"),
    ("^GSPC", "^GSPC"),
    ("^vix", "^VIX"),
    ("EURUSD=X", "EURUSD=X"),
    ("GC=F", "GC=F"),
    ("BTC-USD", "BTC-USD"),
    ("7203.T", "7203.T"),
])
def test_accepted_symbols(text, symbol):
    assert valid_symbol(text) == symbol


@pytest.mark.parametrize("text", [
    "", "   ", None, "$$$", "12$%", "NOT A SYMBOL!", "AAPL;", "A B", "-AAPL", ".B", "=X", "^", "^^GSPC", "A^B",
    "AA\nPL", "AAPL\x00", "ÄPFEL", "A" * 16, "<script>",
])
def test_refused_symbols(text):
    with pytest.raises(UserError) as caught:
        valid_symbol(text)
    assert caught.value.user_message == refusal(text)


@pytest.mark.parametrize("check, error", [
    (normalize_symbol, InvalidRequest),
    (parse_symbol, AlertInputError),
    (TradingDesk._symbol, TradingInputError),
    (lambda word: parse_args([word, "sma_cross"])[0], CommandError),
])
def test_every_entry_point_uses_the_one_rule(check, error):
    for text in ("brk.b", "^GSPC", "EURUSD=X", "btc-usd", "7203.T"):
        assert check(text) == valid_symbol(text)
    with pytest.raises(error) as caught:
        check("A^B")
    assert caught.value.user_message == refusal("A^B")
