"""Market-data errors with a message fit for the person and the model.

yfinance signals trouble in many shapes (empty frames, its own exceptions,
requests/curl_cffi errors, JSON decode errors). `translate()` turns them
into one of the classes below; each has `user_message`, which the slash
command dispatcher and the tools show as is.
"""

from __future__ import annotations

import json

from core.errors import UserError


class MarketDataError(UserError):
    """Base class; `user_message` is a complete, plain sentence."""


class InvalidRequest(MarketDataError):
    """The symbol, period or interval cannot be asked for."""


class UnknownSymbol(MarketDataError):
    """Yahoo has no such symbol (or it is delisted)."""


class NoData(MarketDataError):
    """The symbol exists but Yahoo returned nothing for this range/interval."""


class RateLimited(MarketDataError):
    """Yahoo answered HTTP 429 even after our bounded retries."""


class ServiceUnavailable(MarketDataError):
    """Yahoo is down, erroring (5xx), unreachable, or too slow."""


class BadResponse(MarketDataError):
    """Yahoo answered with something we could not read."""


class SourceBusy(MarketDataError):
    """Our own limiter for a source has no token soon enough: the request goes to the next source instead."""


class SourcesUnavailable(ServiceUnavailable):
    """Every source that could answer failed or is resting; the message names each source and its error."""


class FeatureUnavailable(ServiceUnavailable):
    """A feature only one source has (Yahoo's fundamentals, news, search) while that source is failing."""


# Errors that say a source is not working (they count towards its circuit breaker); the others are answers.
OUTAGES = (RateLimited, ServiceUnavailable, BadResponse)


def _status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def translate(exc: BaseException, what: str) -> MarketDataError:
    """The `MarketDataError` for an exception raised while fetching `what` (e.g. "AAPL quote")."""
    if isinstance(exc, MarketDataError):
        return exc
    from yfinance.exceptions import YFInvalidPeriodError, YFRateLimitError, YFTickerMissingError

    name = type(exc).__name__
    status = _status_of(exc)
    if isinstance(exc, YFRateLimitError) or status == 429:
        return RateLimited(f"Yahoo Finance is rate-limiting requests right now ({what}). "
                           "Please try again in a minute.")
    if isinstance(exc, YFInvalidPeriodError):
        return InvalidRequest(f"Yahoo does not offer that period for {what}: valid are {exc.valid_ranges}.")
    if isinstance(exc, YFTickerMissingError):
        reason = getattr(exc, "yahoo_reason", None) or getattr(exc, "rationale", "")
        if "delisted" in str(reason) or "no timezone" in str(reason) or "No data found" in str(reason):
            return UnknownSymbol(f"Yahoo Finance has no data for {what}: the symbol may be wrong or delisted.")
        return NoData(f"Yahoo Finance returned no data for {what} ({reason}).")
    if status == 404:
        return UnknownSymbol(f"Yahoo Finance does not know {what}: the symbol may be wrong or delisted.")
    if status is not None and status >= 500:
        return ServiceUnavailable(f"Yahoo Finance is having problems (HTTP {status}) while fetching {what}. "
                                  "Try again later.")
    if status is not None and status >= 400:
        return BadResponse(f"Yahoo Finance refused the request for {what} (HTTP {status}).")
    if "Timeout" in name or isinstance(exc, TimeoutError):
        return ServiceUnavailable(f"Yahoo Finance did not answer in time while fetching {what}. Try again later.")
    if name in ("ConnectionError", "DNSError", "ProxyError", "SSLError") or isinstance(exc, ConnectionError):
        return ServiceUnavailable(f"Cannot reach Yahoo Finance to fetch {what}: the network or the service is down.")
    if isinstance(exc, (json.JSONDecodeError, ValueError)) and ("JSON" in str(exc) or "Expecting" in str(exc)
                                                                 or isinstance(exc, json.JSONDecodeError)):
        return BadResponse(f"Yahoo Finance sent an unreadable answer for {what}; it may be having problems.")
    if "YAHOO! FINANCE IS CURRENTLY DOWN" in str(exc):
        return ServiceUnavailable(f"Yahoo Finance says it is down right now ({what}). Try again later.")
    if isinstance(exc, OSError):
        return ServiceUnavailable(f"Network error while fetching {what} from Yahoo Finance ({name}).")
    return BadResponse(f"Fetching {what} from Yahoo Finance failed ({name}: {str(exc)[:160]}).")
