"""A Yahoo Finance replay server on 127.0.0.1 for offline tests and benchmarks.

It answers the URLs yfinance 1.7 really requests (read from its source):
`fc.yahoo.com/` and `guce.yahoo.com/consent` (cookie bootstrap),
`/v1/test/getcrumb`, `/v8/finance/chart/{symbol}` (history and timezone),
`/v10/finance/quoteSummary/{symbol}` and `/v7/finance/quote` (`Ticker.info`),
and `/v1/finance/search` (`yf.Search`: symbols and news). Bodies are real
Yahoo responses recorded by yahoo-finance2 (see tests/fixtures/yahoo/PROVENANCE.md);
the client reaches us because `market.http.yahoo_session` rewrites Yahoo's
hosts to this server's URL, so only host + path + query matter here.

Chart requests are matched on symbol + interval; a `range=` or
`period1/period2` request gets the matching slice of the longest recording
(the recordings are from 2010-2025, so "1y" means the last year recorded).
Fault modes for error tests: "429", "500", "slow", "malformed", "silent"
(accepts the connection and never answers, as a blocking host does); a
closed port gives connection-refused. `latency_s` adds a delay to every answer
(benchmarks); `aliases` serve one symbol's recording under another name.
"""

from __future__ import annotations

import collections
import copy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from standins import LocalServer

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "yahoo"
RANGE_DAYS = {"1d": 1, "5d": 7, "1mo": 31, "3mo": 92, "6mo": 183, "1y": 366, "2y": 731, "5y": 1827, "10y": 3653}
MODES = ("ok", "429", "500", "slow", "malformed", "silent")


def _body(path: Path):
    """The parsed Yahoo body of one recording (bodyJson, or body/bodyText as stored)."""
    response = json.loads(path.read_text(encoding="utf-8"))["response"]
    if "bodyJson" in response:
        return response["bodyJson"]
    if "body" in response:
        return json.loads(response["body"])
    return response["bodyText"]


class YahooRecordings:
    """The recorded responses, indexed by what a request can ask for."""

    def __init__(self, root: Path = FIXTURES):
        self.charts: dict[tuple[str, str], list[dict]] = collections.defaultdict(list)
        for path in sorted((root / "chart").glob("*.json")):
            result = _body(path)["chart"]["result"][0]
            if result.get("timestamp"):
                key = (result["meta"]["symbol"].upper(), result["meta"]["dataGranularity"])
                self.charts[key].append(result)
        for results in self.charts.values():
            results.sort(key=lambda r: len(r["timestamp"]), reverse=True)
        self.quotes: dict[str, dict] = {}
        for path in sorted((root / "quote").glob("quote-*.json"), key=lambda p: len(p.name)):
            for item in _body(path)["quoteResponse"]["result"]:
                self.quotes.setdefault(item["symbol"].upper(), item)
        self.summaries = {
            p.stem.removeprefix("quoteSummary-all-").upper(): _body(p)["quoteSummary"]["result"][0]
            for p in (root / "quoteSummary").glob("quoteSummary-all-*.json")
        }
        self.searches = {p.stem.removeprefix("search-").replace("_", " ").lower(): _body(p)
                         for p in (root / "search").glob("search-*.json")}
        self.no_results = self.searches["no0010123060"]
        self.crumb = _body(root / "getcrumb" / "getcrumb.json")
        self.timeseries: dict[str, list[dict]] = collections.defaultdict(list)
        for path in sorted((root / "fundamentalsTimeSeries").glob("*.json")):
            for item in _body(path)["timeseries"]["result"]:
                self.timeseries[item["meta"]["symbol"][0].upper()].append(item)

    def symbols(self) -> set[str]:
        return {symbol for symbol, _ in self.charts}


def _not_found_chart(symbol: str) -> dict:
    # Yahoo's real answer for an unknown or delisted symbol.
    return {"chart": {"result": None,
                      "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"}}}


def slice_chart(result: dict, query: dict[str, str], symbol: str) -> dict:
    """The part of a recorded chart result that a range / period1-period2 request asks for."""
    stamps = result["timestamp"]
    last = stamps[-1]
    if "period1" in query or "period2" in query:
        low = int(float(query.get("period1", 0)))
        high = int(float(query.get("period2", 2**40)))
    else:
        rng = query.get("range", "1mo")
        if result["meta"].get("dataGranularity", "1d")[-1] in "mh":
            low = 0  # intraday recordings span a day or two: a range request gets all of it
        elif rng == "max":
            low = 0
        elif rng == "ytd":
            low = int(time.mktime(time.strptime(time.strftime("%Y", time.gmtime(last)) + "-01-01", "%Y-%m-%d")))
        else:
            low = last - RANGE_DAYS.get(rng, 31) * 86400 + 1
        high = last + 1
    keep = [i for i, t in enumerate(stamps) if low <= t < high]
    out = copy.deepcopy({k: v for k, v in result.items() if k not in ("timestamp", "indicators", "events")})
    out["meta"]["symbol"] = symbol
    out["meta"]["range"] = query.get("range", "")
    out["timestamp"] = [stamps[i] for i in keep]
    indicators = {}
    for name, series_list in result["indicators"].items():
        indicators[name] = [{field: [values[i] for i in keep] for field, values in series.items()}
                            for series in series_list]
    out["indicators"] = indicators
    if "events" in result and keep:
        first_t, last_t = stamps[keep[0]], stamps[keep[-1]]
        events = {kind: {k: v for k, v in items.items() if first_t <= int(k) <= last_t}
                  for kind, items in result["events"].items()}
        out["events"] = {kind: items for kind, items in events.items() if items}
    return out


class YahooReplay(LocalServer):
    """Replays recorded Yahoo responses over HTTP on 127.0.0.1 (use as a context manager)."""

    def __init__(self, recordings: YahooRecordings | None = None, latency_s: float = 0.0,
                 aliases: dict[str, str] | None = None, slow_s: float = 2.0):
        self.recordings = recordings or YahooRecordings()
        self.latency_s = latency_s
        self.aliases = {k.upper(): v.upper() for k, v in (aliases or {}).items()}
        self.slow_s = slow_s
        self.mode = "ok"
        self.quote_overrides: dict[str, dict] = {}  # symbol -> v7 quote fields served instead of the recording
        self.hits: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -----------------------------------------------------------------
    def start(self) -> YahooReplay:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's name)
                replay._handle(self)

            def do_POST(self):  # noqa: N802
                replay._handle(self)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        return self._serve(self._server, "yahoo-replay")

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def data_hits(self) -> int:
        """Requests for market data (the cookie and crumb bootstrap left out: yfinance makes them once)."""
        with self._lock:
            return sum(n for path, n in self.hits.items() if path not in ("", "/", "/consent", "/v1/test/getcrumb"))

    def hit_count(self, prefix: str) -> int:
        with self._lock:
            return sum(n for path, n in self.hits.items() if path.startswith(prefix))

    def set_quote(self, symbol: str, price: float, previous_close: float | None = None,
                  when: int | None = None) -> None:
        """Serve `symbol` at `price` from now on (moving prices for alert tests); change fields follow."""
        item = self.recordings.quotes.get(self._source(symbol), {})
        previous = previous_close if previous_close is not None else item.get("regularMarketPreviousClose", price)
        with self._lock:
            self.quote_overrides[symbol.upper()] = {
                "regularMarketPrice": price, "regularMarketPreviousClose": previous,
                "regularMarketChange": price - previous, "regularMarketChangePercent": (price / previous - 1) * 100,
                "regularMarketTime": int(when if when is not None else time.time())}

    # --- answering -------------------------------------------------------------------
    def _send(self, handler, status: int, body, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        try:
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def _handle(self, handler) -> None:
        split = urlsplit(handler.path)
        path = unquote(split.path)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        with self._lock:
            self.hits[path] += 1
        if self.latency_s:
            time.sleep(self.latency_s)
        mode = self.mode
        if mode == "silent":
            while self.mode == "silent" and self._server is not None:
                time.sleep(0.05)
            return
        if mode == "slow":
            time.sleep(self.slow_s)
        if mode == "429":
            return self._send(handler, 429, "Too Many Requests\r\n", "text/html")
        if mode == "500":
            return self._send(handler, 500, "<html><body>Internal Server Error</body></html>", "text/html")
        if path in ("", "/"):
            # fc.yahoo.com answers 404 and sets the A3 session cookie (its real value was scrubbed from the
            # recordings, so this one is a placeholder). yfinance keeps it in its cookie cache and stops
            # asking; without it, it would re-fetch fc.yahoo.com under a lock before every request.
            # Short-lived so a placeholder left in a shared yfinance cache expires soon.
            cookie = "A3=d=REPLAY&S=REDACTED; Max-Age=600; Domain=.yahoo.com; Path=/; SameSite=None; Secure; HttpOnly"
            return self._send(handler, 404, "<html><body>Not Found</body></html>", "text/html", {"Set-Cookie": cookie})
        if path == "/consent":  # guce.yahoo.com: no consent form here, so yfinance falls back to basic cookies
            return self._send(handler, 200, "<html><body></body></html>", "text/html")
        if path == "/v1/test/getcrumb":
            return self._send(handler, 200, self.recordings.crumb, "text/plain;charset=utf-8")
        if mode == "malformed":
            return self._send(handler, 200, '{"chart": {"result": [{"meta": {"currency": "USD", ', "application/json")
        if path.startswith("/v8/finance/chart/"):
            return self._chart(handler, path.rsplit("/", 1)[-1], query)
        if path.startswith("/v10/finance/quoteSummary/"):
            return self._quote_summary(handler, path.rsplit("/", 1)[-1], query)
        if path == "/v7/finance/quote":
            return self._quote(handler, query)
        if path == "/v1/finance/search":
            return self._search(handler, query)
        if path.startswith("/ws/fundamentals-timeseries/v1/finance/timeseries/"):
            return self._timeseries(handler, path.rsplit("/", 1)[-1], split.query)
        return self._send(handler, 404, {"finance": {"result": None, "error": {"code": "Not Found",
                                                                               "description": "HTTP 404 Not Found"}}})

    def _source(self, symbol: str) -> str:
        return self.aliases.get(symbol.upper(), symbol.upper())

    def _chart(self, handler, symbol: str, query: dict) -> None:
        source = self._source(symbol)
        interval = query.get("interval", "1d")
        results = self.recordings.charts.get((source, interval))
        if not results and interval in ("5d", "1wk", "1mo", "3mo"):
            results = self.recordings.charts.get((source, "1d"))
        if not results and interval == "15m":  # yfinance asks 15m when the user wants 30m
            results = self.recordings.charts.get((source, "30m"))
        if not results:
            if source in self.recordings.symbols():
                return self._send(handler, 422, {"chart": {"result": None, "error": {
                    "code": "Unprocessable Entity", "description": f"No {interval} data recorded for {symbol}"}}})
            return self._send(handler, 404, _not_found_chart(symbol))
        result = slice_chart(results[0], query, symbol.upper())
        return self._send(handler, 200, {"chart": {"result": [result], "error": None}})

    def _quote_summary(self, handler, symbol: str, query: dict) -> None:
        summary = self.recordings.summaries.get(self._source(symbol))
        if summary is None:
            return self._send(handler, 404, {"quoteSummary": {"result": None, "error": {
                "code": "Not Found", "description": f"Quote not found for symbol: {symbol}"}}})
        wanted = [m for m in query.get("modules", "").split(",") if m]
        picked = {m: v for m, v in summary.items() if not wanted or m in wanted}
        return self._send(handler, 200, {"quoteSummary": {"result": [picked], "error": None}})

    def _quote(self, handler, query: dict) -> None:
        results = []
        for symbol in query.get("symbols", "").split(","):
            item = self.recordings.quotes.get(self._source(symbol))
            if item is not None:
                results.append({**item, **self.quote_overrides.get(symbol.upper(), {}), "symbol": symbol.upper()})
        return self._send(handler, 200, {"quoteResponse": {"result": results, "error": None}})

    def _timeseries(self, handler, symbol: str, raw_query: str) -> None:
        # The recorded envelope, keeping only the requested series (`Ticker.info` asks for
        # trailingPegRatio, which was never recorded: it then gets an empty result list).
        types = {t for values in parse_qs(raw_query).get("type", []) for t in values.split(",")}
        items = [i for i in self.recordings.timeseries.get(self._source(symbol), []) if i["meta"]["type"][0] in types]
        return self._send(handler, 200, {"timeseries": {"result": items, "error": None}})

    def _search(self, handler, query: dict) -> None:
        body = self.recordings.searches.get(query.get("q", "").strip().lower(), self.recordings.no_results)
        return self._send(handler, 200, body)


def closed_port_url() -> str:
    """A 127.0.0.1 URL nobody listens on (connection refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
