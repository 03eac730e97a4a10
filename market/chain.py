"""The app's market-data chain from the settings: the sources in MARKET_SOURCES order and the daily-bar store.

Kept out of market/client.py so the standalone Hub copies of the market tools (which embed client.py) carry no
Alpaca, Stooq or SQLite code.
"""

from __future__ import annotations

from pathlib import Path

from market.client import MarketData
from market.health import CircuitBreaker, TokenBucket
from market.sources import Source, YahooSource


def market_from_settings(settings, **overrides) -> MarketData:
    """`MarketData` over every configured source, with the bar store in DATA_DIR unless MARKET_BAR_CACHE=false."""
    options = {"sources": sources_from_settings(settings)}
    if settings.market_bar_cache:
        from market.bar_store import BarStore

        options["bar_store"] = BarStore(Path(settings.data_dir) / "market_bars.sqlite3")
    options.update(overrides)
    return MarketData.from_settings(settings, **options)


def sources_from_settings(settings) -> list[Source]:
    """Yahoo, then Alpaca (when its keys are set), then Stooq, in MARKET_SOURCES order, each with its own limiter
    (MARKET_<SOURCE>_PER_MINUTE) and circuit breaker (MARKET_BREAKER_FAILURES, MARKET_BREAKER_COOLDOWN_S)."""
    def health(per_minute: float) -> dict:
        return {"limiter": TokenBucket(per_minute),
                "breaker": CircuitBreaker(settings.market_breaker_failures, settings.market_breaker_cooldown_s),
                "max_wait_s": settings.market_limiter_wait_s}

    built: list[Source] = []
    for key in [k.strip().lower() for k in settings.market_sources.split(",") if k.strip()]:
        if key == "yahoo":
            built.append(YahooSource(settings.yahoo_base_url, settings.market_timeout_s,
                                     **health(settings.market_yahoo_per_minute)))
        elif key == "alpaca" and settings.alpaca_configured:
            from market.alpaca_data import AlpacaDataSource

            built.append(AlpacaDataSource(settings.alpaca_api_key.reveal(), settings.alpaca_secret_key.reveal(),
                                          base_url=settings.alpaca_data_url, feed=settings.alpaca_data_feed,
                                          timeout_s=settings.market_timeout_s,
                                          **health(settings.market_alpaca_per_minute)))
        elif key == "stooq":
            from market.stooq import StooqSource

            built.append(StooqSource(settings.stooq_base_url, settings.market_timeout_s,
                                     **health(settings.market_stooq_per_minute)))
    return built or [YahooSource(settings.yahoo_base_url, settings.market_timeout_s)]
