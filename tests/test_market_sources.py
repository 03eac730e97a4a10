"""The market-data chain against stand-ins of Yahoo, Alpaca's data API and Stooq (real clients, real protocols).

Yahoo answers 429, then nothing at all; the app's answers still come, from Alpaca or Stooq, and say so. Every
source down: the message names each source and its error. Daily bars survive a restart. The limiter holds under
many tabs and alert rules, counted at the stand-in.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from chat.commands import CommandContext, dispatch
from chat.session import Session
from core.errors import UserError
from core.settings import load_settings
from market import errors
from market.chain import market_from_settings
from market.health import CircuitBreaker, TokenBucket
from market.stooq import parse_csv, stooq_symbol
from tests.harness import runtime_for
from tests.servers.alpaca import AlpacaStandIn
from tests.servers.stooq import StooqStandIn
from tests.servers.yahoo import YahooReplay

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::Warning")]
KEY, SECRET = "PKTESTDATAKEY", "test-data-secret"


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory):
    import yfinance as yf

    yf.set_tz_cache_location(str(tmp_path_factory.mktemp("yf-tz")))
    with YahooReplay(aliases={f"W{i:02d}X": s for i, s in enumerate(["AAPL", "AMZN", "GOOG"] * 14)}) as yahoo, \
            AlpacaStandIn(KEY, SECRET) as alpaca, StooqStandIn() as stooq:
        yield yahoo, alpaca, stooq


@pytest.fixture()
def servers(stand_ins):
    yahoo, alpaca, stooq = stand_ins
    yield stand_ins
    yahoo.mode, alpaca.data_mode, stooq.mode = "ok", "ok", "ok"


def settings_for(stand_ins, data_dir, **env):
    yahoo, alpaca, stooq = stand_ins
    base = {"YAHOO_BASE_URL": yahoo.url, "ALPACA_DATA_URL": alpaca.url, "STOOQ_BASE_URL": stooq.url,
            "ALPACA_API_KEY": KEY, "ALPACA_SECRET_KEY": SECRET, "DATA_DIR": str(data_dir), "MARKET_TIMEOUT_S": "1",
            "MARKET_YAHOO_PER_MINUTE": "0", "MARKET_ALPACA_PER_MINUTE": "0", "MARKET_STOOQ_PER_MINUTE": "0",
            "MARKET_BREAKER_COOLDOWN_S": "600"}
    return load_settings({**base, **{k: str(v) for k, v in env.items()}}, dotenv_path=None)


def chain(stand_ins, data_dir, **env):
    return market_from_settings(settings_for(stand_ins, data_dir, **env))


def context(market) -> CommandContext:
    return CommandContext(session=Session(id="s"), runtime=runtime_for(load_settings({}, dotenv_path=None), market))


# --- the pieces ---------------------------------------------------------------------------------------------

def test_token_bucket_hands_out_burst_then_the_rate():
    now = [0.0]
    bucket = TokenBucket(60, burst=3, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    for _ in range(3):
        assert bucket.acquire(max_wait_s=0)
    assert not bucket.acquire(max_wait_s=0.5)  # the next token is 1 s away
    started = now[0]
    assert bucket.acquire(max_wait_s=5) and now[0] - started == pytest.approx(1.0)
    assert bucket.taken == 4 and bucket.bound(10) == 13


def test_circuit_breaker_rests_then_lets_one_probe_through():
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown_s=30, clock=lambda: now[0])
    breaker.failure("429")
    assert breaker.allow() and breaker.state == "closed"
    breaker.failure("429")
    assert breaker.state == "open" and not breaker.allow() and breaker.retry_in_s() == 30
    now[0] = 31
    assert breaker.state == "half-open" and breaker.allow() and not breaker.allow()  # one probe at a time
    breaker.failure("still 429")
    assert breaker.state == "open"  # a failed probe rests it again
    now[0] = 62
    assert breaker.allow()
    breaker.success()
    assert breaker.state == "closed" and breaker.failures == 0


def test_stooq_csv_format_and_its_refusals():
    frame = parse_csv("Date,Open,High,Low,Close,Volume\r\n2024-01-02,187.15,188.44,183.885,185.64,82488700\r\n",
                      "AAPL")
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume", "Dividends", "Stock Splits"]
    assert frame["Close"].iloc[0] == 185.64 and str(frame.index.tz) == "America/New_York"
    with pytest.raises(errors.UnknownSymbol):
        parse_csv("No data", "ZZZZ")
    with pytest.raises(errors.RateLimited):
        parse_csv("Exceeded the daily hits limit", "AAPL")
    assert (stooq_symbol("AAPL"), stooq_symbol("BRK.B"), stooq_symbol("^GSPC"), stooq_symbol("BTC-USD")) == (
        "aapl.us", "brk-b.us", "^spx", None)


# --- Yahoo says no ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["429", "silent"])
def test_every_market_feature_answers_from_alpaca_or_stooq_and_names_it(servers, tmp_path, fault):
    from alerts.rules import parse_rule
    from alerts.service import AlertService
    from alerts.store import AlertStore
    from backtest.lab import StrategyLab
    from forecast.service import forecast_price
    from tools.backtest import BacktestStrategyTool
    from tools.indicators import TechnicalIndicatorsTool
    from tools.market import PriceHistoryTool

    yahoo, alpaca, stooq = servers
    market = chain(servers, tmp_path)
    yahoo.mode = fault
    ctx = context(market)

    [quote] = dispatch("/quote AAPL", ctx)
    assert quote.kind == "text" and "via Alpaca (IEX feed)" in quote.content and "Yahoo" not in quote.content
    chart = dispatch("/chart MSFT 6mo sma20", ctx)[-1]
    assert chart.kind == "chart" and chart.title.endswith("· Alpaca (IEX feed)")
    table, _ = dispatch("/compare AAPL GOOG 1y", ctx)
    assert "source Alpaca (IEX feed)" in table.content

    alpaca.data_mode = "500"  # now Alpaca fails too: Stooq answers (symbols not yet stored)
    history = PriceHistoryTool(market).forward("AMZN", period="3mo")
    assert history["source"].startswith("Stooq (end of day") and "source Stooq" in history["summary"]
    readings = TechnicalIndicatorsTool(market).forward("TSLA", indicators="rsi,sma20", period="1y")
    assert readings["source"].startswith("Stooq") and "source Stooq" in readings["summary"]
    report = BacktestStrategyTool(lambda s, p, i: market.history(s, period=p, interval=i),
                                  StrategyLab()).forward("NVDA", "sma_cross", period="1y")
    assert report.startswith("**Backtest #1: NVDA") and "\n\nPrices: Stooq (end of day" in report
    forecast = forecast_price(market, "TSLA", horizon=5)
    assert forecast.source.startswith("Stooq") and "Data: Stooq" in forecast.summary
    store = AlertStore(tmp_path / "alerts.sqlite3")
    now = dt.datetime.now(dt.UTC)
    store.add_alert("ws", parse_rule(["TSLA", "above", "1"]), status="active", source="person", note="", now=now)
    service = AlertService(store, market, clock=lambda: now)
    checked = service.check(now, force=True)
    assert checked.failures == {} and len(checked.fired) == 1
    [note] = store.notifications("ws")
    assert "(Stooq)" in note.body and note.data["source"] == "Stooq"
    service.close()
    health = {h["key"]: h for h in market.health()}
    assert not health["yahoo"]["healthy"] and health["stooq"]["healthy"]
    [status] = dispatch("/status", ctx)
    assert "Yahoo Finance: resting" in status.content and "Stooq: healthy" in status.content


def test_a_resting_yahoo_is_not_asked_again_until_its_cool_down_ends(servers, tmp_path):
    yahoo, alpaca, stooq = servers
    market = chain(servers, tmp_path, MARKET_BREAKER_FAILURES=2)
    yahoo.mode = "silent"
    started = time.monotonic()
    for symbol in ("AAPL", "AMZN", "GOOG", "MSFT", "TSLA", "NVDA"):
        assert market.history(symbol, period="1mo").attrs["source"] == "Alpaca (IEX feed)"
    # two timeouts of 1 s open the circuit; the four later requests never wait on Yahoo
    assert time.monotonic() - started < 2 * 1 + 4 * 0.9
    assert "Yahoo Finance ✗ (resting" in market.health_line() and "Stooq ✓" in market.health_line()


def test_every_source_down_names_each_source_and_its_error(servers, tmp_path):
    yahoo, alpaca, stooq = servers
    market = chain(servers, tmp_path)
    yahoo.mode, alpaca.data_mode, stooq.mode = "429", "500", "limit"
    with pytest.raises(errors.SourcesUnavailable) as caught:
        market.history("AAPL", period="1y")
    message = caught.value.user_message
    assert "[Yahoo Finance]" in message and "rate-limiting" in message
    assert "[Alpaca (IEX feed)]" in message and "HTTP 500" in message
    assert "[Stooq]" in message and "daily request limit" in message
    [item] = dispatch("/quote MSFT", context(market))
    assert item.kind == "error" and "[Yahoo Finance]" in item.content and "[Stooq]" in item.content


def test_features_only_yahoo_has_say_yahoo_is_failing(servers, tmp_path):
    yahoo, _, _ = servers
    market = chain(servers, tmp_path)
    yahoo.mode = "429"
    with pytest.raises(UserError) as caught:
        market.profile("AAPL")
    assert isinstance(caught.value, errors.FeatureUnavailable)
    assert caught.value.user_message.startswith("Company fundamentals come only from Yahoo Finance")
    assert "rate-limiting" in caught.value.user_message and "Stooq" in caught.value.user_message
    [item] = dispatch("/fundamentals AAPL", context(market))
    assert item.kind == "error" and "only from Yahoo Finance" in item.content


# --- the daily-bar store -----------------------------------------------------------------------------------------

def test_a_restart_serves_a_cached_year_of_daily_bars_with_zero_requests(servers, tmp_path):
    yahoo, alpaca, stooq = servers
    first = chain(servers, tmp_path)
    year = first.history("AAPL", period="1y")
    assert len(year) > 240 and year.attrs["source"] == "Yahoo Finance"
    first.bar_store.close()
    before = (yahoo.data_hits(), alpaca.data_requests(), stooq.requests())
    restarted = chain(servers, tmp_path)  # a new process: nothing in memory, the same DATA_DIR
    again = restarted.history("AAPL", period="1y")
    assert (yahoo.data_hits(), alpaca.data_requests(), stooq.requests()) == before
    assert again["Close"].round(6).tolist() == year["Close"].round(6).tolist()
    assert again.attrs["source"] == "Yahoo Finance"
    assert len(restarted.history("AAPL", period="6mo")) < len(again)  # shorter windows come from the same bars


def test_a_stale_series_fetches_only_the_bars_after_the_last_cached_one(servers, tmp_path):
    yahoo, alpaca, stooq = servers
    clock = [time.time()]
    market = chain(servers, tmp_path, MARKET_SOURCES="stooq")
    market._clock = lambda: clock[0]
    market.history("MSFT", period="1y")
    last_day = market.history("MSFT", period="1y").index[-1].date()
    requests_before = stooq.requests()
    clock[0] += market.history_ttl_s + 1
    market.cache.clear()
    refreshed = market.history("MSFT", period="1y")
    assert stooq.requests() == requests_before + 1
    assert refreshed.index[-1].date() == last_day and refreshed.attrs["source"] == "Stooq"
    market.cache.clear()
    clock[0] += 10
    market.history("MSFT", period="1y")  # fresh again: nothing asked
    assert stooq.requests() == requests_before + 1


def test_stored_bars_are_served_with_a_note_when_no_source_can_refresh_them(servers, tmp_path):
    from tools.market import PriceHistoryTool

    yahoo, alpaca, stooq = servers
    clock = [time.time()]
    market = chain(servers, tmp_path, MARKET_SOURCES="yahoo,stooq")
    market._clock = lambda: clock[0]
    stored = market.history("AMZN", period="1y")
    clock[0] += market.history_ttl_s + 1
    market.cache.clear()
    yahoo.mode, stooq.mode = "500", "500"
    served = PriceHistoryTool(market).forward("AMZN", period="1y")
    assert len(served["bars"]) == len(stored)
    assert "no source could refresh them" in served["summary"] and "HTTP 500" in served["summary"]


def test_bars_filled_by_stooq_are_never_labelled_yahoo(servers, tmp_path):
    yahoo, alpaca, stooq = servers
    market = chain(servers, tmp_path, MARKET_SOURCES="yahoo,stooq")
    yahoo.mode = "429"
    frame = market.history("GOOG", period="1y")
    assert frame.attrs["source"] == "Stooq"
    yahoo.mode = "ok"
    market.cache.clear()
    assert market.history("GOOG", period="1y").attrs["source"] == "Stooq"  # still the stored Stooq bars


def test_compare_asks_alpaca_for_every_ticker_in_one_request(servers, tmp_path):
    yahoo, alpaca, _ = servers
    market = chain(servers, tmp_path, MARKET_BREAKER_FAILURES=1)
    yahoo.mode = "429"
    with pytest.raises(UserError):
        market.profile("AAPL")  # Yahoo fails once and rests
    before = alpaca.data_requests()
    comparison = market.compare(["AAPL", "AMZN", "GOOG", "MSFT", "TSLA"], "6mo")
    assert alpaca.data_requests() - before == 1
    assert set(comparison.sources.values()) == {"Alpaca (IEX feed)"} and not comparison.failures


# --- politeness ---------------------------------------------------------------------------------------------------

def test_fifty_tabs_and_a_thousand_alert_rules_stay_within_the_yahoo_budget(servers, tmp_path):
    from alerts.rules import parse_rule
    from alerts.service import AlertService
    from alerts.store import AlertStore

    yahoo, _, _ = servers
    per_minute = 1200.0  # high, to keep the test fast; the bound is what is checked
    market = chain(servers, tmp_path, MARKET_SOURCES="yahoo", MARKET_YAHOO_PER_MINUTE=per_minute,
                   MARKET_LIMITER_WAIT_S=30, QUOTE_TTL_S=0.3)
    bucket = market.yahoo.limiter
    symbols = [f"W{i:02d}X" for i in range(42)]
    store = AlertStore(tmp_path / "alerts.sqlite3")
    now = dt.datetime.now(dt.UTC)
    for i in range(1000):
        words = [symbols[i % len(symbols)], "above" if i % 2 else "below", str(100 + i % 300)]
        store.add_alert(f"ws{i % 50:02d}", parse_rule(words), status="active", source="person", note="", now=now)
        if i < 50 * 3:
            store.watch(f"ws{i % 50:02d}", [symbols[i % len(symbols)]], now)
    service = AlertService(store, market, clock=lambda: now, max_workers=8)
    before = yahoo.data_hits()
    started = time.monotonic()
    stop = time.monotonic() + 2.5

    def tab(n: int):  # a side panel polling its watchlist
        while time.monotonic() < stop:
            service.watch_rows(f"ws{n:02d}")
            time.sleep(0.05)

    tabs = [threading.Thread(target=tab, args=(n,)) for n in range(50)]
    for thread in tabs:
        thread.start()
    while time.monotonic() < stop:
        service.check(now, force=True)
    for thread in tabs:
        thread.join()
    elapsed = time.monotonic() - started
    asked = yahoo.data_hits() - before
    service.close()
    assert asked > bucket.burst  # the load really was limited, not idle
    assert asked <= bucket.bound(elapsed), (asked, bucket.bound(elapsed))
