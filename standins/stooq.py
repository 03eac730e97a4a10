"""A 127.0.0.1 stand-in for Stooq's daily CSV download, `GET /q/d/l/?s=aapl.us&i=d[&d1=YYYYMMDD&d2=YYYYMMDD]`.

It answers as stooq.com does: `Date,Open,High,Low,Close,Volume` rows oldest first (text/csv), the body
"No data" for a symbol it does not know, and "Exceeded the daily hits limit" once its limit is used up. Prices
are the recorded Yahoo bars re-served (tests/servers/daily_bars.py). Symbols: `aapl.us` style for US listings,
`^spx` for the S&P 500 (served from the longest recorded chart, under its own name).

Test controls: `mode` "ok" | "limit" (Stooq's daily-limit text) | "500" | "silent" (accepts, never answers);
`hits` counts requests by Stooq symbol.
"""

from __future__ import annotations

import collections
import datetime as dt
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from standins import LocalServer
from standins.daily_bars import DerivedBars, resample

INDEX_SOURCES = {"^spx": "AAPL", "^ndq": "MSFT"}  # index names served from a recorded stock's bars


class StooqStandIn(LocalServer):
    def __init__(self, bars: DerivedBars | None = None):
        self.bars = bars or DerivedBars()
        self.mode = "ok"
        self.hits: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def requests(self) -> int:
        with self._lock:
            return sum(self.hits.values())

    def start(self) -> StooqStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802
                stand_in._handle(self)

            def log_message(self, *args):
                pass

        return self._serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler), "stooq-stand-in")

    @staticmethod
    def _send(handler, status: int, text: str, content_type: str = "text/csv") -> None:
        data = text.encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _handle(self, handler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        code = query.get("s", "").lower()
        with self._lock:
            self.hits[code] += 1
        if self.mode == "silent":
            while self.mode == "silent" and self._server is not None:
                time.sleep(0.05)
            return
        if self.mode == "500":
            return self._send(handler, 500, "<html><body>Internal Server Error</body></html>", "text/html")
        if self.mode == "limit":
            return self._send(handler, 200, "Exceeded the daily hits limit", "text/plain")
        if parts.path != "/q/d/l/":
            return self._send(handler, 404, "Not Found", "text/html")
        symbol = INDEX_SOURCES.get(code) or (code[:-3].upper().replace("-", ".") if code.endswith(".us") else "")
        first = dt.datetime.strptime(query["d1"], "%Y%m%d").date() if query.get("d1") else None
        last = dt.datetime.strptime(query["d2"], "%Y%m%d").date() if query.get("d2") else None
        bars = resample(self.bars.between(symbol, first, last), query.get("i", "d")) if symbol else []
        if not bars:
            return self._send(handler, 200, "No data", "text/plain")
        rows = ["Date,Open,High,Low,Close,Volume"]
        rows += [f"{b.day.isoformat()},{b.open:g},{b.high:g},{b.low:g},{b.close:g},{b.volume}" for b in bars]
        return self._send(handler, 200, "\r\n".join(rows) + "\r\n")
