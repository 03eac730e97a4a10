"""The real alpaca-py TradingClient against a 127.0.0.1 Alpaca stand-in (url_override),
through AlpacaBroker and the desk."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chat.session import Session
from chat.trading_items import outcome_items, ticket_item
from core.settings import Settings, load_settings
from standins.alpaca import AlpacaStandIn, load
from trading.alpaca_broker import AlpacaBroker
from trading.broker import BrokerUnavailable, InsufficientFunds, OrderRejected, OrderRequest
from trading.desk import Desks, build_desk

KEY, SECRET = "PKTEST1234567890ABCD", "sEcReT0987654321zyxwvutsrqponmlkjihgfedc"


@pytest.fixture
def alpaca():
    server = AlpacaStandIn(KEY, SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def broker(alpaca):
    b = AlpacaBroker(KEY, SECRET, paper=True, url_override=alpaca.url, timeout_s=2.0, retry_wait_s=0.01)
    yield b
    b.close()


def test_account_numbers_arrive_as_strings_and_become_floats(broker, alpaca):
    account = broker.account()
    recorded = load("v2_account.json")
    assert account.cash == float(recorded["cash"]) == -23140.2
    assert account.equity == 103820.56
    assert account.buying_power == 262113.632
    assert alpaca.requests[-1]["headers"]["APCA-API-KEY-ID"] == KEY


def test_positions(broker):
    [position] = broker.positions()
    assert (position.symbol, position.qty, position.avg_cost, position.current_price) == ("AAPL", 5.0, 100.0, 120.0)
    assert position.unrealized_pl == 100.0


def test_asset_and_unknown_asset(broker):
    asset = broker.asset("aapl")
    assert asset.tradable and asset.fractionable and asset.shortable
    assert broker.asset("ZZZZ").tradable is False


def test_clock(broker):
    clock = broker.clock()
    assert clock.is_open is True
    assert clock.next_close.hour == 16


@pytest.mark.parametrize("order, wire", [
    (OrderRequest("AAPL", "buy", qty=2), {"type": "market", "qty": 2}),
    (OrderRequest("AAPL", "buy", notional=500), {"type": "market", "notional": 500}),
    (OrderRequest("AAPL", "buy", type="limit", qty=1, limit_price=150.5), {"type": "limit", "limit_price": 150.5}),
    (OrderRequest("AAPL", "sell", type="stop", qty=1, stop_price=90), {"type": "stop", "stop_price": 90}),
    (OrderRequest("AAPL", "sell", type="stop_limit", qty=1, stop_price=90, limit_price=89),
     {"type": "stop_limit", "stop_price": 90, "limit_price": 89}),
    (OrderRequest("AAPL", "buy", type="limit", qty=3, limit_price=150, take_profit=170, stop_loss=140,
                  time_in_force="gtc"),
     {"type": "limit", "order_class": "bracket", "take_profit": {"limit_price": 170},
      "stop_loss": {"stop_price": 140}, "time_in_force": "gtc"}),
])
def test_each_order_type_goes_over_the_wire(broker, alpaca, order, wire):
    placed = broker.submit(order)
    [posted] = alpaca.posted_orders()
    body = posted["json"]
    assert body["client_order_id"] == order.client_order_id
    assert body["side"] == order.side and body["symbol"] == "AAPL"
    for key, value in wire.items():
        assert body[key] == value, key
    assert placed.client_order_id == order.client_order_id
    assert placed.status == "accepted"
    assert placed.type == order.type
    if order.is_bracket:
        assert [leg.type for leg in placed.legs] == ["limit", "stop"]
        assert placed.legs[0].limit_price == 170.0 and placed.legs[1].stop_price == 140.0


def test_open_orders_and_cancel(broker):
    placed = broker.submit(OrderRequest("AAPL", "buy", type="limit", qty=1, limit_price=100))
    assert [o.id for o in broker.orders("open")] == [placed.id]
    broker.cancel(placed.id)
    assert broker.orders("open") == []
    assert broker.orders("all")[0].status == "canceled"
    with pytest.raises(OrderRejected, match="already"):
        broker.cancel(placed.id)


def test_403_insufficient_buying_power(broker, alpaca):
    alpaca.fail_next("POST", "/v2/orders", 403, {"code": 40310000, "message": "insufficient buying power"})
    with pytest.raises(InsufficientFunds, match="insufficient buying power"):
        broker.submit(OrderRequest("AAPL", "buy", qty=100000))


def test_422_bad_parameters(broker, alpaca):
    alpaca.fail_next("POST", "/v2/orders", 422, {"code": 40010001, "message": "qty must be > 0"})
    with pytest.raises(OrderRejected, match="qty must be > 0"):
        broker.submit(OrderRequest("AAPL", "buy", qty=1))


def test_429_then_success_is_retried_by_alpaca_py(broker, alpaca):
    alpaca.fail_next("POST", "/v2/orders", 429, {"code": 42910000, "message": "rate limit exceeded"})
    placed = broker.submit(OrderRequest("AAPL", "buy", qty=1))
    assert placed.status == "accepted"
    assert len(alpaca.posted_orders()) == 2  # one refused with 429, one accepted
    assert len(alpaca.orders) == 1


def test_timeout_after_acceptance_places_no_duplicate(alpaca):
    broker = AlpacaBroker(KEY, SECRET, url_override=alpaca.url, timeout_s=0.5, retry_wait_s=0.01)
    alpaca.hang_after_accept(1.5)
    order = OrderRequest("AAPL", "buy", qty=1)
    placed = broker.submit(order)  # times out, then finds the accepted order by client_order_id
    assert placed.client_order_id == order.client_order_id
    assert len(alpaca.orders) == 1
    lookups = [r for r in alpaca.requests if r["path"] == "/v2/orders:by_client_order_id"]
    assert lookups and lookups[0]["query"]["client_order_id"] == order.client_order_id
    again = broker.submit(order)  # a retry of the same order: Alpaca refuses the duplicate id
    assert len(alpaca.orders) == 1
    assert again.client_order_id == order.client_order_id and again.id == placed.id


def test_unreachable_broker_is_a_clear_error():
    broker = AlpacaBroker(KEY, SECRET, url_override="http://127.0.0.1:9", timeout_s=0.5)
    with pytest.raises(BrokerUnavailable, match="could not be reached"):
        broker.account()


# --- through the desk: access, idempotent confirm, mode label -----------------------------------------


def _services(alpaca, **env) -> Settings:
    base = {"ALPACA_API_KEY": KEY, "ALPACA_SECRET_KEY": SECRET, "ALPACA_URL_OVERRIDE": alpaca.url,
            "TRADING_ALLOWLIST": "alice", "RISK_MAX_POSITION_PCT": "100"}
    ledger = Path(tempfile.mkdtemp(prefix="smol-alpaca-")) / "ledger.sqlite3"  # never the repo's data/
    return load_settings({**base, "PAPER_LEDGER_PATH": str(ledger), **env}, dotenv_path=None)


NOW = datetime(2025, 6, 24, 18, 15, tzinfo=UTC)


def _alice_desk(alpaca, **env):
    return build_desk(_services(alpaca, **env), session_id="s1", user="alice", now=lambda: NOW,
                      price_of=lambda symbol: 120.0)


def test_mode_labels(alpaca, tmp_path):
    assert _alice_desk(alpaca).mode_label() == "Paper · Alpaca"
    live = _alice_desk(alpaca, ALPACA_PAPER="false", TRADING_LIVE_ENABLED="true")
    assert live.mode_label() == "LIVE · Alpaca"
    half = _alice_desk(alpaca, ALPACA_PAPER="false")  # live needs both settings
    assert half.mode_label() == "Paper · Alpaca"
    services = _services(alpaca, PAPER_LEDGER_PATH=str(tmp_path / "l.sqlite3"))
    anonymous = Desks(services).for_workspace(Session(id="anon").workspace_id, None)
    assert anonymous.mode_label() == "Paper · built-in"  # anonymous visitors never reach the Alpaca account


def test_confirm_executes_once_and_double_confirm_is_a_no_op(alpaca):
    desk = _alice_desk(alpaca)
    ticket = desk.propose("AAPL", "buy", qty=2)
    assert not alpaca.posted_orders()  # proposing sends nothing
    first = desk.confirm(ticket.id, "alice")
    second = desk.confirm(ticket.id, "alice")
    assert len(alpaca.orders) == 1
    assert first.ok and "Order placed" in first.message
    assert second.ok and "already confirmed" in second.message


def test_confirm_requires_an_allowlisted_actor(alpaca):
    desk = _alice_desk(alpaca)
    ticket = desk.propose("AAPL", "buy", qty=1)
    refused_anon = desk.confirm(ticket.id, None)
    refused_bob = desk.confirm(ticket.id, "bob")
    assert not refused_anon.ok and "Sign in" in refused_anon.message
    assert not refused_bob.ok and "allowlist" in refused_bob.message
    assert alpaca.posted_orders() == []
    desk.confirm(ticket.id, "alice")
    assert len(alpaca.orders) == 1


def test_confirm_after_a_timeout_never_duplicates(alpaca):
    services = _services(alpaca)
    desk = build_desk(services, session_id="s1", user="alice", now=lambda: NOW, price_of=lambda s: 120.0)
    desk.broker = AlpacaBroker(KEY, SECRET, url_override=alpaca.url, timeout_s=0.5, retry_wait_s=0.01)
    ticket = desk.propose("AAPL", "buy", qty=1)
    alpaca.hang_after_accept(1.5)
    outcome = desk.confirm(ticket.id, "alice")
    desk.confirm(ticket.id, "alice")
    assert len(alpaca.orders) == 1
    assert ticket.status == "executed" and ticket.result.client_order_id == ticket.client_order_id
    assert "Order placed" in outcome.message


def test_broker_refusal_reaches_the_chat(alpaca):
    desk = _alice_desk(alpaca)
    ticket = desk.propose("AAPL", "buy", qty=1)
    alpaca.fail_next("POST", "/v2/orders", 403, {"code": 40310000, "message": "insufficient buying power"})
    [item] = outcome_items(desk.confirm(ticket.id, "alice"))
    assert item.kind == "error" and "insufficient buying power" in item.content
    assert ticket.status == "failed"


def test_no_key_in_anything_the_desk_shows(alpaca):
    desk = _alice_desk(alpaca)
    ticket = desk.propose("AAPL", "buy", qty=1, order_type="limit", limit_price=100)
    shown = [ticket_item(desk.ticket_card(ticket)), *outcome_items(desk.confirm(ticket.id, "alice")),
             *outcome_items(desk.reject("T-0000", "alice"))]
    text = json.dumps([i.to_json() for i in shown]) + repr(desk) + repr(desk.broker) + repr(ticket)
    text += desk.account_text() + desk.positions_text() + desk.orders_text()
    assert KEY not in text and SECRET not in text
