"""Routing yfinance's HTTP to another base URL (a proxy, or the test replay server)."""

from __future__ import annotations


def yahoo_session(base_url: str = "", timeout_s: float = 10.0):
    """A `requests.Session` for yfinance that sends every Yahoo request to `base_url`.

    yfinance 1.7 accepts a requests Session via `session=`; the adapter mounted
    here rewrites `https://<any yahoo host>/path?query` to `base_url/path?query`,
    caps each request's timeout at `timeout_s`, and turns 5xx answers into
    `requests.HTTPError` (yfinance would otherwise try to parse an error page).
    Returns None when `base_url` is empty: yfinance then uses its own
    curl_cffi session, which Yahoo's real hosts need.

    Used by MarketData and, embedded, by the Hub copies of the market tools.
    """
    if not base_url:
        return None
    from urllib.parse import urlsplit

    import requests
    from requests.adapters import HTTPAdapter

    base = base_url.rstrip("/")

    class YahooRedirectAdapter(HTTPAdapter):
        def send(self, request, timeout=None, **kwargs):
            parts = urlsplit(request.url)
            routed = request.copy()
            routed.url = base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            routed.headers["X-Forwarded-Host"] = parts.netloc
            if isinstance(timeout, tuple):
                timeout = tuple(min(t or timeout_s, timeout_s) for t in timeout)
            else:
                timeout = min(timeout or timeout_s, timeout_s)
            response = super().send(routed, timeout=timeout, **kwargs)
            response.url = request.url  # cookies and consent checks see Yahoo's URL, as yfinance expects
            response.request = request
            if response.status_code >= 500:
                raise requests.HTTPError(f"{response.status_code} Server Error from Yahoo Finance", response=response)
            return response

    session = requests.Session()
    session.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) smol-trader"
    session.mount("https://", YahooRedirectAdapter())
    session.mount("http://", YahooRedirectAdapter())
    return session
