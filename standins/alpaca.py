"""A 127.0.0.1 stand-in for Alpaca's Trading REST API (v2), for the real alpaca-py client via `url_override`.

Bodies come from recorded/published Alpaca responses in tests/fixtures/alpaca/
(see PROVENANCE.md there): the account, positions, asset and clock bodies are
served as recorded; orders are the published EquityOrderResponse example with
the fields of the posted order filled in (numbers as strings, as on the wire).
Errors use Alpaca's `{"code": ..., "message": ...}` shape.

Test controls:
- `fail_next(method, path, status, body)`: answer the next matching request with an error
  (e.g. 403 insufficient buying power, 422 bad parameters, 429 rate limit);
- `hang_after_accept(seconds)`: the next POST /v2/orders is stored (accepted) and then the
  response is held for `seconds`, so the client times out after acceptance;
- `requests`: every request seen (method, path, query, headers, json body).

Market data (the API `StockHistoricalDataClient` reaches with `url_override`, same keys): GET
`/v2/stocks/bars` (several symbols, 1Day/1Week/1Month, start/end, `next_page_token` paging at `limit`),
`/v2/stocks/trades/latest` and `/v2/stocks/quotes/latest`, in the recorded shapes of tests/fixtures/alpaca/data/
(numbers as numbers, times as RFC 3339), with the recorded Yahoo prices re-served (tests/servers/daily_bars.py).
`data_mode`: "ok" | "429" | "500" | "silent" (accepts, never answers) for market data only.
"""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from standins import LocalServer
from standins.daily_bars import DerivedBars, resample

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "alpaca"
NEW_YORK = ZoneInfo("America/New_York")


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def _s(value) -> str | None:
    return None if value is None else str(value)


class AlpacaStandIn(LocalServer):
    def __init__(self, api_key: str, secret_key: str, clock_fixture: str = "openapi_clock_open.json"):
        self.api_key = api_key
        self.secret_key = secret_key
        self.account = load("v2_account.json")
        self.positions = load("v2_positions_list.json")
        self.asset_template = load("v2_assets_AAPL.json")
        self.order_template = load("openapi_equity_order.json")
        self.clock = load(clock_fixture)
        self.tradable = {"AAPL", "SPY", "MSFT", "TSLA"}
        self.orders: dict[str, dict] = {}
        self.requests: list[dict] = []
        self._failures: list[tuple[str, str, int, dict]] = []
        self._hang_s = 0.0
        self._lock = threading.Lock()
        self.bars: DerivedBars | None = None  # built on the first market-data request
        self.data_mode = "ok"
        self.trade_template = load("data/v2_stocks_trades_latest_AAPL_IEX.json")["trades"]["AAPL"]
        self.quote_template = load("data/v2_stocks_quotes_latest_AAPL.json")["quotes"]["AAPL"]

    def data_requests(self) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r["path"].startswith("/v2/stocks/"))

    # --- controls ---------------------------------------------------------------------

    def fail_next(self, method: str, path: str, status: int, body: dict) -> None:
        with self._lock:
            self._failures.append((method.upper(), path, status, body))

    def hang_after_accept(self, seconds: float) -> None:
        self._hang_s = seconds

    def posted_orders(self) -> list[dict]:
        return [r for r in self.requests if r["method"] == "POST" and r["path"] == "/v2/orders"]

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> AlpacaStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _handle(self, method: str):
                stand_in._dispatch(self, method)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def do_DELETE(self):
                self._handle("DELETE")

        return self._serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler), "alpaca-stand-in")

    # --- the protocol ---------------------------------------------------------------------

    def _dispatch(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        with self._lock:
            self.requests.append({"method": method, "path": path, "query": query,
                                  "headers": dict(handler.headers.items()), "json": body})
            failure = next((f for f in self._failures if f[0] == method and f[1] == path), None)
            if failure is not None:
                self._failures.remove(failure)
        if (handler.headers.get("APCA-API-KEY-ID") != self.api_key
                or handler.headers.get("APCA-API-SECRET-KEY") != self.secret_key):
            return self._send(handler, 401, {"code": 40110000, "message": "request is not authorized"})
        if failure is not None:
            return self._send(handler, failure[2], failure[3])
        if method == "GET" and path.startswith("/v2/stocks/"):
            return self._market_data(handler, path, query)
        if method == "GET" and path == "/v2/account":
            return self._send(handler, 200, self.account)
        if method == "GET" and path == "/v2/positions":
            return self._send(handler, 200, self.positions)
        if method == "GET" and path == "/v2/clock":
            return self._send(handler, 200, self.clock)
        if method == "GET" and path.startswith("/v2/assets/"):
            symbol = path.rsplit("/", 1)[1].upper()
            if symbol not in self.tradable:
                return self._send(handler, 404, {"code": 40410000, "message": "asset not found"})
            return self._send(handler, 200, {**self.asset_template, "symbol": symbol})
        if method == "POST" and path == "/v2/orders":
            return self._post_order(handler, body or {})
        if method == "GET" and path == "/v2/orders:by_client_order_id":
            order = next((o for o in self.orders.values() if o["client_order_id"] == query.get("client_order_id")),
                         None)
            if order is None:
                return self._send(handler, 404, {"code": 40410000, "message": "order not found"})
            return self._send(handler, 200, order)
        if method == "GET" and path == "/v2/orders":
            status = query.get("status", "open")
            orders = [o for o in self.orders.values()
                      if status == "all" or (status == "open") == (o["status"] in ("new", "accepted"))]
            return self._send(handler, 200, orders[::-1])
        if method == "DELETE" and path.startswith("/v2/orders/"):
            order = self.orders.get(path.rsplit("/", 1)[1])
            if order is None:
                return self._send(handler, 404, {"code": 40410000, "message": "order not found"})
            if order["status"] not in ("new", "accepted"):
                return self._send(handler, 422, {"code": 42210000,
                                                 "message": f"order is already in \"{order['status']}\" state"})
            order["status"] = "canceled"
            order["canceled_at"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            return self._send(handler, 204, None)
        return self._send(handler, 404, {"code": 40400000, "message": "endpoint not found"})

    # --- market data --------------------------------------------------------------------

    def _market_data(self, handler: BaseHTTPRequestHandler, path: str, query: dict) -> None:
        if self.data_mode == "silent":
            while self.data_mode == "silent" and self._server is not None:
                time.sleep(0.05)
            return
        if self.data_mode == "429":
            return self._send(handler, 429, {"code": 42910000, "message": "rate limit exceeded"})
        if self.data_mode == "500":
            return self._send(handler, 500, {"code": 50010000, "message": "internal server error"})
        if self.bars is None:
            self.bars = DerivedBars()
        symbols = [s for s in query.get("symbols", "").split(",") if s]
        if not symbols:
            return self._send(handler, 400, {"code": 40010001, "message": "symbols is required"})
        if path == "/v2/stocks/bars":
            return self._bars(handler, symbols, query)
        if path == "/v2/stocks/trades/latest":
            trades = {}
            for symbol in symbols:
                bars = self.bars.bars(symbol)
                if bars:
                    close_at = datetime.combine(bars[-1].day, datetime.min.time()).replace(hour=20, minute=59)
                    trades[symbol] = {**self.trade_template, "p": bars[-1].close,
                                      "t": close_at.isoformat() + ".722539521Z"}
            return self._send(handler, 200, {"trades": trades})
        if path == "/v2/stocks/quotes/latest":
            quotes = {}
            for symbol in symbols:
                bars = self.bars.bars(symbol)
                if bars:
                    quotes[symbol] = {**self.quote_template, "ap": round(bars[-1].close + 0.01, 2),
                                      "bp": round(bars[-1].close - 0.01, 2)}
            return self._send(handler, 200, {"quotes": quotes})
        return self._send(handler, 404, {"code": 40400000, "message": "endpoint not found"})

    def _bars(self, handler: BaseHTTPRequestHandler, symbols: list[str], query: dict) -> None:
        def day(name: str):
            value = query.get(name)
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date() if value else None

        first, last = day("start"), day("end")
        unit = {"1Day": "d", "1Week": "w", "1Month": "m"}.get(query.get("timeframe", "1Day"))
        if unit is None:
            return self._send(handler, 422, {"code": 42210000, "message": "invalid timeframe"})
        rows = []
        for symbol in symbols:
            for bar in resample(self.bars.between(symbol, first, last), unit):
                if last is not None and bar.day >= last:
                    continue  # Alpaca's end is exclusive of a bar starting at it
                midnight = datetime.combine(bar.day, datetime.min.time(), tzinfo=NEW_YORK).astimezone(UTC)
                rows.append((symbol, {"t": midnight.isoformat().replace("+00:00", "Z"), "o": bar.open,
                                      "h": bar.high, "l": bar.low, "c": bar.close, "v": bar.volume,
                                      "n": max(1, bar.volume // 100), "vw": round((bar.high + bar.low + bar.close)
                                                                                   / 3, 4)}))
        offset = int(query.get("page_token") or 0)
        limit = int(query.get("limit") or 1000)
        page = rows[offset:offset + limit]
        out: dict[str, list] = {}
        for symbol, row in page:
            out.setdefault(symbol, []).append(row)
        token = str(offset + limit) if offset + limit < len(rows) else None
        return self._send(handler, 200, {"bars": out, "next_page_token": token})

    def _post_order(self, handler: BaseHTTPRequestHandler, body: dict) -> None:
        coid = body.get("client_order_id") or str(uuid.uuid4())
        with self._lock:
            if any(o["client_order_id"] == coid for o in self.orders.values()):
                return self._send(handler, 422, {"code": 40010001, "message": "client_order_id must be unique"})
            symbol = str(body.get("symbol", "")).upper()
            if symbol not in self.tradable:
                return self._send(handler, 422, {"code": 40010001, "message": f"asset \"{symbol}\" not found"})
            order = self._order_body(body, coid)
            self.orders[order["id"]] = order
            hang, self._hang_s = self._hang_s, 0.0
        if hang:
            time.sleep(hang)  # accepted, but the client gives up before the answer arrives
        self._send(handler, 200, order)

    def _order_body(self, body: dict, coid: str) -> dict:
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        order = copy.deepcopy(self.order_template)
        order.update({
            "id": str(uuid.uuid4()), "client_order_id": coid, "created_at": now, "updated_at": now,
            "submitted_at": now, "symbol": body.get("symbol"), "qty": _s(body.get("qty")),
            "notional": _s(body.get("notional")), "side": body.get("side"), "type": body.get("type"),
            "order_type": body.get("type"), "time_in_force": body.get("time_in_force"),
            "limit_price": _s(body.get("limit_price")), "stop_price": _s(body.get("stop_price")),
            "order_class": body.get("order_class", ""), "status": "accepted", "legs": None,
        })
        if body.get("order_class") == "bracket":
            exit_side = "sell" if body.get("side") == "buy" else "buy"
            legs = []
            for kind, prices in (("limit", body.get("take_profit") or {}), ("stop", body.get("stop_loss") or {})):
                leg = copy.deepcopy(order)
                leg.update({"id": str(uuid.uuid4()), "client_order_id": str(uuid.uuid4()), "side": exit_side,
                            "type": kind, "order_type": kind, "status": "held", "order_class": "bracket",
                            "limit_price": _s(prices.get("limit_price")), "stop_price": _s(prices.get("stop_price")),
                            "notional": None})
                legs.append(leg)
            order["legs"] = legs
        return order

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and left
