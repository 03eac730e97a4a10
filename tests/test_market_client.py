"""MarketData against the Yahoo replay server: real yfinance, real recorded Yahoo responses."""

from __future__ import annotations

import threading

import pytest

from market import errors
from market.client import MarketData, Quote
from standins.yahoo import YahooReplay

pytestmark = pytest.mark.filterwarnings("ignore::Warning")


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    import yfinance as yf

    yf.set_tz_cache_location(str(tmp_path_factory.mktemp("yf-tz")))
    with YahooReplay() as server:
        yield server


@pytest.fixture()
def market(replay):
    replay.mode = "ok"
    return MarketData(base_url=replay.url, timeout_s=2.0, backoff_s=0.01)


def test_from_settings_reads_market_settings(replay):
    from core.settings import load_settings

    settings = load_settings({"MARKET_SOURCES": "yahoo", "MARKET_BAR_CACHE": "false", "MARKET_YAHOO_PER_MINUTE": "0",
                              "YAHOO_BASE_URL": replay.url, "MARKET_TIMEOUT_S": "3", "QUOTE_TTL_S": "7",
                              "HISTORY_TTL_S": "99"}, dotenv_path=None)
    client = MarketData.from_settings(settings)
    assert (client.base_url, client.timeout_s, client.quote_ttl_s, client.history_ttl_s) == (
        replay.url, 3.0, 7.0, 99.0)


def test_quote_has_every_field_from_the_recorded_aapl_quote(market):
    quote = market.quote("aapl")
    assert isinstance(quote, Quote)
    # Values from tests/fixtures/yahoo/quote/quote-AAPL.json (recorded 17 Feb 2025).
    assert quote.symbol == "AAPL" and quote.price == 244.6 and quote.currency == "USD"
    assert quote.exchange == "NasdaqGS" and quote.market_state == "CLOSED"
    assert round(quote.change_pct, 4) == 1.2711 and quote.market_cap == 3674405863424
    assert quote.day_low <= quote.price <= quote.day_high and quote.volume > 0
    assert quote.as_of.isoformat() == "2025-02-14T21:00:00+00:00" and quote.delay_note == "real-time"


def test_warm_quote_is_served_from_the_cache(market, replay):
    market.quote("GOOG")
    before = replay.hit_count("/v7/finance/quote")
    for _ in range(5):
        assert market.quote("GOOG").symbol == "GOOG"
    assert replay.hit_count("/v7/finance/quote") == before


def test_history_is_adjusted_for_the_aapl_2020_split_and_keeps_events(market):
    frame = market.history("AAPL", period="1y")
    assert len(frame) == 253 and list(frame.columns)[:5] == ["Open", "High", "Low", "Close", "Volume"]
    split = frame[frame["Stock Splits"] > 0]
    assert [str(d.date()) for d in split.index] == ["2020-08-31"] and split["Stock Splits"].iloc[0] == 4.0
    assert (frame["Dividends"] > 0).sum() == 4
    # Split-adjusted: the day before the 4:1 split is near the split-day price, not 4x it.
    before = frame.loc[:"2020-08-28", "Close"].iloc[-1]
    assert 0.8 < before / split["Close"].iloc[0] < 1.2


def test_history_by_dates_slices_the_recording(market):
    frame = market.history("MSFT", start="2021-06-01", end="2021-07-01")
    assert str(frame.index[0].date()) == "2021-06-01" and str(frame.index[-1].date()) == "2021-06-30"
    assert len(frame) == 22


def test_intraday_history(market):
    frame = market.history("AAPL", period="1d", interval="1m")
    assert len(frame) > 300 and (frame.index[1] - frame.index[0]).total_seconds() == 60


def test_concurrent_requests_for_one_key_fetch_once(market, replay):
    before = replay.hit_count("/v8/finance/chart/AMZN")
    barrier = threading.Barrier(8)
    results = []

    def ask():
        barrier.wait()
        results.append(len(market.history("AMZN", period="6mo")))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(set(results)) == 1 and len(results) == 8
    # One timezone probe (range=1d) at most, plus exactly one history request.
    assert replay.hit_count("/v8/finance/chart/AMZN") - before <= 2
    assert market.cache.fetches == 1


def test_profile_news_and_search(market):
    profile = market.profile("AAPL")
    assert profile["sector"] == "Technology" and profile["recommendation"] == "buy" and profile["pe"] > 10
    news = market.news("AAPL", 3)
    assert len(news) == 3 and all(item["title"] and item["link"].startswith("https://") for item in news)
    assert news[0]["time"].year == 2025
    matches = market.search("Bayerische Motoren Werke AG")
    assert matches[0]["symbol"] == "BMW.DE"
    assert market.search("NO0010123060") == []


def test_compare_three_tickers(market):
    comparison = market.compare(["AAPL", "AMZN", "GOOG", "NOPE1"], "1y")
    assert list(comparison.stats.index) == ["AAPL", "AMZN", "GOOG"] and "NOPE1" in comparison.failures
    aapl = comparison.stats.loc["AAPL"]
    assert 70 < aapl["return_pct"] < 90 and aapl["max_drawdown_pct"] < -25 and aapl["volatility_pct"] > 30
    assert 0.5 < comparison.correlation.loc["AAPL", "GOOG"] < 0.95


@pytest.mark.parametrize("call, kind", [
    (lambda m: m.quote("NOT A SYMBOL!"), errors.InvalidRequest),
    (lambda m: m.history("AAPL", period="7y"), errors.InvalidRequest),
    (lambda m: m.history("AAPL", interval="2h"), errors.InvalidRequest),
    (lambda m: m.history("AAPL", start="2021-02-01", end="2021-01-01"), errors.InvalidRequest),
    (lambda m: m.history("AAPL", start="yesterday"), errors.InvalidRequest),
    (lambda m: m.compare(["AAPL"]), errors.InvalidRequest),
    (lambda m: m.search(""), errors.InvalidRequest),
])
def test_bad_input_is_a_clear_error(market, call, kind):
    with pytest.raises(kind) as caught:
        call(market)
    assert caught.value.user_message and len(caught.value.user_message) < 300
