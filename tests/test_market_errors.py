"""Faults: unknown symbol, HTTP 429 / 500, timeout, malformed body, connection refused.

Each must end as a MarketDataError with a clear user_message, in bounded time
(the client's timeout is 0.5 s and rate-limit backoff 10 ms here), and the
slash commands must answer with that message instead of crashing.
"""

from __future__ import annotations

import time

import pytest

from market import errors
from market.client import MarketData
from standins.yahoo import YahooReplay, closed_port_url

pytestmark = pytest.mark.filterwarnings("ignore::Warning")


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    import yfinance as yf

    yf.set_tz_cache_location(str(tmp_path_factory.mktemp("yf-tz")))
    with YahooReplay(slow_s=1.5) as server:
        yield server


def client(url: str) -> MarketData:
    return MarketData(base_url=url, timeout_s=0.5, backoff_s=0.01, rate_limit_retries=2)


@pytest.fixture()
def market(replay):
    replay.mode = "ok"
    yield client(replay.url)
    replay.mode = "ok"


def test_unknown_symbol_history_and_quote(market):
    with pytest.raises(errors.UnknownSymbol) as caught:
        market.history("QQQQZ", period="6mo")
    assert "QQQQZ" in caught.value.user_message and "delisted" in caught.value.user_message
    with pytest.raises(errors.UnknownSymbol):
        market.quote("QQQQZ")


def test_rate_limit_retries_with_backoff_then_says_so(market, replay):
    sleeps = []
    market._sleep = sleeps.append
    replay.mode = "429"
    started = time.monotonic()
    with pytest.raises(errors.RateLimited) as caught:
        market.history("AAPL", period="3mo")
    assert "rate-limiting" in caught.value.user_message
    assert sleeps == [0.01, 0.02]  # bounded: 2 retries, exponential backoff
    assert time.monotonic() - started < 10


def test_rate_limit_that_clears_is_retried_successfully(market, replay):
    replay.mode = "429"
    market._sleep = lambda seconds: setattr(replay, "mode", "ok")  # Yahoo recovers during our backoff
    frame = market.history("GOOG", period="3mo")
    assert len(frame) > 50


def test_server_error_is_service_unavailable(market, replay):
    replay.mode = "500"
    with pytest.raises(errors.ServiceUnavailable) as caught:
        market.history("NVDA", period="1mo")
    assert "HTTP 500" in caught.value.user_message


def test_malformed_body_is_bad_response(market, replay):
    replay.mode = "malformed"
    with pytest.raises(errors.BadResponse) as caught:
        market.history("MSFT", period="1mo")
    assert "unreadable" in caught.value.user_message


def test_slow_server_times_out_in_bounded_time(market, replay):
    replay.mode = "slow"
    started = time.monotonic()
    with pytest.raises(errors.ServiceUnavailable) as caught:
        market.history("TSLA", period="5d")
    assert "in time" in caught.value.user_message
    assert time.monotonic() - started < 12


def test_connection_refused_is_service_unavailable():
    market = client(closed_port_url())
    started = time.monotonic()
    with pytest.raises(errors.ServiceUnavailable) as caught:
        market.quote("AMZN")
    assert "Cannot reach Yahoo Finance" in caught.value.user_message
    assert time.monotonic() - started < 10


def test_errors_are_not_cached(market, replay):
    replay.mode = "500"
    with pytest.raises(errors.ServiceUnavailable):
        market.history("AAPL", period="6mo")
    replay.mode = "ok"
    assert len(market.history("AAPL", period="6mo")) > 100


def test_tools_and_commands_answer_faults_with_the_message(market, replay):
    from chat.commands import CommandContext, dispatch
    from chat.session import Session
    from core.errors import UserError
    from core.settings import Settings
    from tests.harness import runtime_for
    from tools.market import StockQuoteTool

    replay.mode = "500"
    with pytest.raises(UserError) as raised:
        StockQuoteTool(market).forward("BTC-USD")
    assert raised.value.user_message.startswith("Yahoo Finance is having problems")
    ctx = CommandContext(session=Session(id="s1"), runtime=runtime_for(Settings(), market))
    [item] = dispatch("/chart BTC-USD", ctx)
    assert item.kind == "error" and "HTTP 500" in item.content
    replay.mode = "ok"
    [item] = dispatch("/quote NOSUCHSYM", ctx)
    assert item.kind == "error" and "NOSUCHSYM" in item.content
