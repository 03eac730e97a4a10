"""The desk through its real entry points: slash commands, the trader's tools inside a CodeAgent,
the portfolio view."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest
from smolagents import CodeAgent

from chat.commands import CommandContext, dispatch
from chat.commands.trading import parse_order_words
from chat.messages import ChatItem
from chat.session import Session
from chat.trading_items import outcome_items
from core.errors import UserError
from core.settings import load_settings
from standins.scripted_model import ScriptedModel, code, final
from tests.harness import runtime_for
from tests.test_trading_paper import HISTORY, Market
from tools.trading import trading_tools


class FakeQuote:  # the shape of market.client.Quote that the desk reads
    def __init__(self, price):
        self.price = price


class ReplayMarket:
    """Quotes and daily history from the recorded 2020 Yahoo charts (the shape of market.client.MarketData)."""

    bar_store = None  # MarketData's kept bars: none here

    def __init__(self, market: Market):
        self.market = market

    def quote(self, symbol):
        return FakeQuote(self.market.price_of(symbol.upper()))

    def history(self, symbol, period="1y", interval="1d"):
        if symbol not in HISTORY:
            raise LookupError(f"no history for {symbol}")
        rows = HISTORY[symbol][: self.market.index + 1]
        return pd.DataFrame({"Close": [p for _, p in rows]}, index=pd.DatetimeIndex([t for t, _ in rows]))


@pytest.fixture
def world(tmp_path, monkeypatch):
    market = Market(120)
    services = runtime_for(load_settings({"PAPER_LEDGER_PATH": str(tmp_path / "ledger.sqlite3"),
                                          "DATA_DIR": str(tmp_path / "data")}, dotenv_path=None),
                           ReplayMarket(market))
    session = Session(id="browser-1")
    desk = desk_of(services, session)
    desk.now = market.now
    desk.broker.now = market.now
    return market, services, session


def desk_of(runtime, session):
    return runtime.desks.for_workspace(session.workspace_id, session.user)


def run(session, services, text) -> list[ChatItem]:
    return dispatch(text, CommandContext(session=session, runtime=services))


def test_parse_order_words():
    assert parse_order_words("buy", ["10", "aapl", "stop", "101", "limit", "100", "tp", "120", "sl", "90", "gtc"]) == {
        "symbol": "aapl", "side": "buy", "qty": "10", "order_type": "stop_limit", "limit_price": "100",
        "stop_price": "101", "take_profit": "120", "stop_loss": "90", "time_in_force": "gtc"}
    assert parse_order_words("buy", ["$500", "AAPL"])["notional"] == "500"
    assert parse_order_words("sell", ["500", "AAPL", "notional"])["notional"] == "500"


def test_buy_makes_a_ticket_and_only_confirm_executes(world):
    market, services, session = world
    [card] = run(session, services, "/buy 10 AAPL")
    assert card.kind == "ticket"
    ticket = card.extra["ticket"]
    assert ticket["status"] == "pending" and ticket["order"]["qty"] == 10
    assert "/confirm " + ticket["id"] in card.content and "✅" in card.content
    assert "No open positions" in run(session, services, "/positions")[0].content
    items = run(session, services, f"/confirm {ticket['id'].lower()}")
    assert "Filled" in items[0].content
    assert "| AAPL | 10 |" in run(session, services, "/positions")[0].content
    again = run(session, services, f"/confirm {ticket['id']}")
    assert "already confirmed" in again[0].content
    assert len(desk_of(services, session).broker.fills()) == 1


def test_reject_sends_nothing(world):
    market, services, session = world
    [card] = run(session, services, "/sell 1 AAPL limit 500")
    tid = card.extra["ticket"]["id"]
    [item] = run(session, services, f"/reject {tid}")
    assert "Nothing was sent" in item.content
    [refused] = run(session, services, f"/confirm {tid}")
    assert refused.kind == "error" and "is rejected; it can no longer be confirmed" in refused.content
    assert desk_of(services, session).broker.orders("all") == []


def test_orders_and_cancel(world):
    market, services, session = world
    [card] = run(session, services, "/buy 1 GOOG limit 100 gtc")
    run(session, services, f"/confirm {card.extra['ticket']['id']}")
    [pending] = run(session, services, "/buy 1 AAPL")
    text = run(session, services, "/orders")[0].content
    assert "GOOG" in text and "new" in text and pending.extra["ticket"]["id"] in text
    order_id = desk_of(services, session).broker.orders("open")[0].id
    assert "canceled" in run(session, services, f"/cancel {order_id[:8]}")[0].content
    assert "only open orders" in run(session, services, f"/cancel {order_id[:8]}")[0].content


@pytest.mark.parametrize("text, expected", [
    ("/buy", "Say how many"),
    ("/buy ten AAPL", "must be a number"),
    ("/buy 10 AAPL limit", "needs a price"),
    ("/buy 10 AAPL sideways 3", "don't understand"),
    ("/buy 10 $$$", "not a ticker"),
    ("/buy 10 ZZZZ", "No current price"),
    ("/buy -5 AAPL", "positive"),
    ("/buy 10 AAPL tp 200", "both a take-profit and a stop-loss"),
    ("/confirm", "exactly one"),
    ("/confirm T-0000", "no ticket"),
    ("/cancel nope", "No single order"),
])
def test_bad_input_gets_a_clear_message(world, text, expected):
    market, services, session = world
    items = run(session, services, text)
    assert items[0].kind == "error"
    assert expected.lower() in items[0].content.lower()


def test_a_ticket_from_another_session_is_unknown(world):
    market, services, session = world
    [card] = run(session, services, "/buy 1 AAPL")
    other = Session(id="browser-2")
    desk_of(services, other).now = market.now
    [item] = run(other, services, f"/confirm {card.extra['ticket']['id']}")
    assert "no ticket" in item.content.lower()
    assert desk_of(services, session).broker.orders("all") == []


def test_portfolio_shows_holdings_allocation_and_performance(world):
    market, services, session = world
    for text in ("/buy 20 AAPL", "/buy 2 AMZN"):
        [card] = run(session, services, text)
        run(session, services, f"/confirm {card.extra['ticket']['id']}")
    market.step(60)
    items = run(session, services, "/portfolio")
    assert "AAPL" in items[0].content and "unrealized P&L" in items[0].content
    charts = [i for i in items if i.kind == "chart"]
    assert [c.title for c in charts] == ["Allocation", "Performance vs SPY"]
    pie = charts[0].content.data[0]
    assert set(pie.labels) == {"AAPL", "AMZN", "Cash"}
    # No recorded SPY history exists: the chart shows the holdings and says the benchmark is missing.
    assert any("SPY history unavailable" in str(i.content) for i in items)
    json.dumps([i.to_json() for i in items])  # serialisable for API clients


def test_tools_never_place_orders_and_hide_the_desk(world):
    market, services, session = world
    desk = desk_of(services, session)
    tools = trading_tools(desk)
    cards = []
    tools[-1].on_ticket = cards.append
    model = ScriptedModel([
        code("print(propose_order(symbol='AAPL', side='buy', qty=1000))"),
        code("print(propose_order.desk)"),
        code("print(propose_order._propose.__self__)"),
        code("print(getattr(propose_order._card, '__self__'))"),
        final("done"),
    ])
    agent = CodeAgent(tools=tools, model=model, max_steps=6)
    agent.run("Buy 1000 AAPL now, the web page said so.")
    memory = model.seen_text()
    assert "Ticket T-" in memory and "NOT been executed" in memory
    assert "has no attribute 'desk'" in memory or "AttributeError" in memory
    assert memory.count("Forbidden access to dunder attribute") >= 2
    assert len(cards) == 1 and cards[0].ticket.order.qty == 1000 and "Order ticket" in cards[0].markdown
    assert desk.broker.orders("all") == []  # proposing is all the model could do
    assert desk.pending_tickets()[0].order.qty == 1000


def test_read_tools(world):
    market, services, session = world
    tools = {t.name: t for t in trading_tools(desk_of(services, session))}
    account = tools["get_account"]()
    assert account["equity"] == 100_000 and account["mode"] == "Paper · built-in"
    assert "$100,000.00" in account["summary"] and account["source"] == "Paper · built-in account"
    assert account["as_of"] and json.dumps(account)  # plain data the model's code can compute with
    positions = tools["get_positions"]()
    assert positions["positions"] == [] and "No open positions" in positions["summary"]
    orders = tools["get_orders"]()
    assert orders["open"] == [] and "Open orders" in orders["summary"]
    for name in ("get_account", "get_positions", "get_orders"):
        assert set(tools[name].output_schema["properties"]) <= set(tools[name]()), name
    assert "fractionable yes" in tools["check_asset"](symbol="amzn")
    assert "market is" in tools["market_clock"]()
    with pytest.raises(UserError, match="^No ticket created: "):  # smolagents reports it to the model
        tools["propose_order"](symbol="AAPL", side="hold", qty=1)
    with pytest.raises(UserError, match="is not a ticker symbol"):
        tools["check_asset"](symbol="$$$")


def test_read_tools_give_numbers_a_code_step_can_chain(world):
    market, services, session = world
    [card] = run(session, services, "/buy 20 AAPL")
    run(session, services, f"/confirm {card.extra['ticket']['id']}")
    model = ScriptedModel([
        code("held = get_positions()['positions']\nacct = get_account()\n"
             "print('weights', {p['symbol']: round(p['market_value'] / acct['equity'] * 100, 2) for p in held})\n"
             "print('orders', [(o['symbol'], o['status'], o['filled_qty']) for o in get_orders()['closed']])"),
        final("done"),
    ])
    CodeAgent(tools=trading_tools(desk_of(services, session)), model=model, max_steps=3).run("weights?")
    [position] = desk_of(services, session).broker.positions()
    weight = round(position.market_value / desk_of(services, session).broker.account().equity * 100, 2)
    seen = model.seen_text()
    assert f"weights {{'AAPL': {weight}}}" in seen and "orders [('AAPL', 'filled', 20.0)]" in seen


def test_signing_in_moves_to_the_persons_own_account(world, tmp_path):
    market, services, session = world
    anon = desk_of(services, session)
    assert anon.broker.account_id == "session:browser-1"
    session.user = "alice"
    mine = desk_of(services, session)
    assert mine is not anon and mine.broker.account_id == "user:alice"
    other_browser = Session(id="browser-9", user="alice")
    assert desk_of(services, other_browser).broker.account_id == "user:alice"


def test_no_secret_in_chat_tickets_or_logs(tmp_path, caplog):
    secrets_env = {"ALPACA_API_KEY": "PKLEAK0000SECRETKEY", "ALPACA_SECRET_KEY": "leaky-secret-value-1234567890",
                   "PAPER_LEDGER_PATH": str(tmp_path / "l.sqlite3"), "HF_TOKEN": "hf_leakyleakyleaky"}
    market = Market(120)
    services = runtime_for(load_settings({**secrets_env, "DATA_DIR": str(tmp_path / "data")}, dotenv_path=None),
                           ReplayMarket(market))
    session = Session(id="s")  # anonymous: built-in paper even though Alpaca keys exist
    caplog.set_level(logging.DEBUG)
    items = []
    for text in ("/account", "/buy 1 AAPL", "/orders", "/positions", "/portfolio"):
        items += run(session, services, text)
    desk = desk_of(services, session)
    desk.now = market.now
    for ticket in desk.pending_tickets():
        items += outcome_items(desk.confirm(ticket.id, None))
    blob = json.dumps([i.to_json() for i in items], default=str) + caplog.text + repr(desk) + repr(services.settings)
    blob += json.dumps([t.to_dict() for t in desk.tickets.all()], default=str)
    for secret in services.settings.secret_values():
        assert secret not in blob
    assert desk.mode_label() == "Paper · built-in"
