"""The standalone Alpaca order tool: paper by default, live only on double opt-in, keys never shown.

The real alpaca-py client (routed by ALPACA_URL_OVERRIDE) talks to a 127.0.0.1
server that answers POST /v2/orders with Alpaca's recorded sample bodies.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hub.alpaca_order import AlpacaOrderTool

FIXTURES = Path(__file__).parent / "fixtures" / "hub" / "alpaca"
API_KEY = "PKTESTKEY1234567890AB"
SECRET_KEY = "secretValue0123456789abcdefghijKLMNOPQRST"


class AlpacaOrders:
    """POST /v2/orders in Alpaca's wire format; records what it received."""

    def __init__(self, status: int = 200, error_message: str = ""):
        self.status = status
        self.error_message = error_message
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                outer.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if outer.status != 200:
                    payload = json.dumps({"code": 40310000, "message": outer.error_message}).encode()
                elif self.path == "/v2/orders":
                    name = ("v2_orders_post_limit_order.json" if body.get("type") == "limit"
                            else "v2_orders_post_market_order.json")
                    payload = (FIXTURES / name).read_bytes()
                else:
                    outer.status, payload = 404, b'{"code": 40410000, "message": "not found"}'
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def alpaca(monkeypatch):
    server = AlpacaOrders()
    monkeypatch.setenv("ALPACA_URL_OVERRIDE", server.url)
    monkeypatch.setenv("ALPACA_API_KEY", API_KEY)
    monkeypatch.setenv("ALPACA_SECRET_KEY", SECRET_KEY)
    for name in ("ALPACA_PAPER", "TRADING_LIVE_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    yield server
    server.close()


def test_market_order_goes_to_alpaca_with_keys_in_headers_only(alpaca):
    out = AlpacaOrderTool()(symbol="aapl", side="BUY", qty=1)
    assert out.startswith("Submitted paper order 61e69015-8549-4bfd-b9c3-01e75843f47d: buy 1")
    assert "status accepted" in out
    [request] = alpaca.received
    assert request["body"]["symbol"] == "AAPL" and request["body"]["side"] == "buy"
    assert request["body"]["type"] == "market" and float(request["body"]["qty"]) == 1
    assert request["headers"]["APCA-API-KEY-ID"] == API_KEY
    assert API_KEY not in out and SECRET_KEY not in out


def test_limit_order_sends_the_limit_price(alpaca):
    out = AlpacaOrderTool()(symbol="AAPL", side="buy", qty=1, order_type="limit", limit_price=300)
    assert "limit @ 300" in out
    assert float(alpaca.received[0]["body"]["limit_price"]) == 300


@pytest.mark.parametrize("kwargs, reason", [
    ({"symbol": "not a symbol!", "side": "buy", "qty": 1}, "not a valid ticker"),
    ({"symbol": "AAPL", "side": "hold", "qty": 1}, "side must be"),
    ({"symbol": "AAPL", "side": "buy", "qty": 0}, "greater than 0"),
    ({"symbol": "AAPL", "side": "buy", "qty": -3}, "greater than 0"),
    ({"symbol": "AAPL", "side": "buy", "qty": 1, "order_type": "stop"}, "order_type must be"),
    ({"symbol": "AAPL", "side": "buy", "qty": 1, "order_type": "limit"}, "needs a limit_price"),
])
def test_bad_input_is_refused_before_any_request(alpaca, kwargs, reason):
    out = AlpacaOrderTool()(**kwargs)
    assert out.startswith("Order refused") and reason in out
    assert alpaca.received == []


def test_live_request_is_refused_unless_the_environment_enables_it(alpaca, monkeypatch):
    out = AlpacaOrderTool()(symbol="AAPL", side="buy", qty=1, live=True)
    assert "live trading was requested but is not enabled" in out and alpaca.received == []
    monkeypatch.setenv("ALPACA_PAPER", "false")  # one switch is not enough
    assert "not enabled" in AlpacaOrderTool()(symbol="AAPL", side="buy", qty=1, live=True)
    assert alpaca.received == []


def test_live_order_needs_argument_and_both_switches(alpaca, monkeypatch):
    monkeypatch.setenv("ALPACA_PAPER", "false")
    monkeypatch.setenv("TRADING_LIVE_ENABLED", "true")
    assert AlpacaOrderTool()(symbol="AAPL", side="buy", qty=1).startswith("Submitted paper order")
    assert AlpacaOrderTool()(symbol="AAPL", side="buy", qty=1, live=True).startswith("Submitted LIVE order")


def test_missing_keys_are_explained(alpaca, monkeypatch):
    monkeypatch.delenv("ALPACA_SECRET_KEY")
    out = AlpacaOrderTool()(symbol="AAPL", side="buy", qty=1)
    assert "set ALPACA_API_KEY and ALPACA_SECRET_KEY" in out and alpaca.received == []


def test_alpaca_rejection_is_reported_without_keys(alpaca):
    alpaca.status, alpaca.error_message = 403, f"insufficient buying power for key {API_KEY}"
    out = AlpacaOrderTool()(symbol="AAPL", side="buy", qty=1)
    assert out.startswith("Order rejected by Alpaca (paper account)") and "insufficient buying power" in out
    assert API_KEY not in out


def test_alpaca_unreachable_is_reported(monkeypatch):
    from standins.hub import HubServer

    monkeypatch.setenv("ALPACA_URL_OVERRIDE", HubServer.down())
    monkeypatch.setenv("ALPACA_API_KEY", API_KEY)
    monkeypatch.setenv("ALPACA_SECRET_KEY", SECRET_KEY)
    out = AlpacaOrderTool()(symbol="AAPL", side="buy", qty=1)
    assert out.startswith("Order not sent (paper account): could not reach Alpaca")


def test_tool_passes_smolagents_hub_validation():
    code = AlpacaOrderTool().to_dict()["code"]
    assert "class AlpacaOrderTool(Tool)" in code and "os.environ" in code
