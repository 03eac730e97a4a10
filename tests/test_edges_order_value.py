"""Orders are valued where they would fill (issue 22, item 4): a marketable limit at the market price, a stop at
the price it triggers at, a short against the position limit, shorts only where the account allows them."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chat.trading_items import ticket_item
from core.settings import load_settings
from tests.servers.alpaca import AlpacaStandIn, load
from trading.broker import Account, Asset, OrderRequest
from trading.desk import build_desk
from trading.market_hours import us_equity_clock
from trading.risk import RiskLimits, evaluate, price_estimate
from trading.views import ticket_markdown

LIMITS = RiskLimits(max_order_notional=25_000, max_position_pct=25, max_orders_per_day=20, kill_switch=False)
ACCOUNT = Account(cash=100_000, equity=100_000, buying_power=100_000, shorting_enabled=True)
ASSET = Asset("AAPL", "Apple", tradable=True, fractionable=True, shortable=True)
OPEN = us_equity_clock(datetime(2020, 3, 2, 15, 0, tzinfo=UTC))
LAST = 244.60


def report(order: OrderRequest, position_qty: float = 0.0, **overrides):
    args = dict(limits=LIMITS, price=LAST, account=ACCOUNT, position_qty=position_qty, asset=ASSET, clock=OPEN,
                orders_today=0)
    return evaluate(order, **{**args, **overrides})


@pytest.mark.parametrize("order, price, fills_at_market", [
    (OrderRequest("AAPL", "sell", type="limit", qty=1, limit_price=0.01), LAST, True),  # marketable sell
    (OrderRequest("AAPL", "sell", type="limit", qty=1, limit_price=300), 300, False),  # rests above
    (OrderRequest("AAPL", "buy", type="limit", qty=1, limit_price=1000), 1000, True),  # marketable buy: at most
    (OrderRequest("AAPL", "buy", type="limit", qty=1, limit_price=200), 200, False),  # rests below
    (OrderRequest("AAPL", "buy", type="stop", qty=1, stop_price=250), 250, False),  # triggers at 250
    (OrderRequest("AAPL", "buy", type="stop", qty=1, stop_price=1), LAST, True),  # already crossed
    (OrderRequest("AAPL", "sell", type="stop", qty=1, stop_price=240), 240, False),
    (OrderRequest("AAPL", "sell", type="stop", qty=1, stop_price=900), LAST, True),  # crossed: sells at market
    (OrderRequest("AAPL", "sell", type="stop_limit", qty=1, stop_price=900, limit_price=0.01), LAST, True),
    (OrderRequest("AAPL", "buy", type="stop_limit", qty=1, stop_price=250, limit_price=251), 251, False),
    (OrderRequest("AAPL", "buy", qty=1), LAST, True),
])
def test_each_order_type_is_valued_where_it_would_fill(order, price, fills_at_market):
    estimate = price_estimate(order, LAST)
    assert (estimate.price, estimate.last, estimate.fills_at_market) == (price, LAST, fills_at_market)
    r = report(order)
    assert (r.est_price, r.last_price, r.fills_at_market) == (price, LAST, fills_at_market)


def test_a_sell_limit_far_below_the_market_is_valued_at_the_market():
    r = report(OrderRequest("AAPL", "sell", type="limit", qty=10_000, limit_price=0.01), position_qty=10_000)
    assert r.est_cost == pytest.approx(10_000 * LAST)  # $2.4M, not $100
    assert [c.name for c in r.failures] == ["max order notional"]


def test_a_sell_that_opens_a_short_is_held_to_the_position_limit():
    r = report(OrderRequest("AAPL", "sell", qty=100))  # 100 x 244.60 = 24% of equity: within 25%
    assert r.passed
    assert next(c.detail for c in r.checks if c.name == "max position size").startswith(
        "short position would be 24.5% of equity")
    r = report(OrderRequest("AAPL", "sell", qty=100), position_qty=-50)  # grows a short to 36.7%
    assert [c.name for c in r.failures] == ["max position size"]
    assert "short position would be 36.7% of equity, over the 25% limit" in r.summary()
    r = report(OrderRequest("AAPL", "sell", qty=50), position_qty=80)  # reduces a long: no position limit
    assert r.passed


def test_open_orders_count_toward_the_position_limit():
    """Review of issue 22: resting orders, each under the position limit alone, could build a position past it
    together (each ticket judged against the filled position only). Shares still to fill on open orders count."""
    buy = OrderRequest("AAPL", "buy", type="limit", qty=80, limit_price=240)  # 80 x 240 = 19.2% alone
    assert report(buy).passed
    r = report(buy, open_buy_qty=80)  # a second such order: 38.4% once both fill
    assert [c.name for c in r.failures] == ["max position size"]
    assert "position would be 38.4% of equity, over the 25% limit" in r.summary()
    sell = OrderRequest("AAPL", "sell", type="limit", qty=80, limit_price=250)  # a short of 20% alone
    assert report(sell).passed
    r = report(sell, open_sell_qty=80)  # the same again: a short of 40% once both fill
    assert [c.name for c in r.failures] == ["max position size"]
    assert report(sell, position_qty=200, open_sell_qty=80).passed  # selling down a long stays a reduction


def test_resting_paper_orders_cannot_together_pass_the_position_limit(tmp_path):
    services = load_settings({"PAPER_LEDGER_PATH": str(tmp_path / "l.sqlite3"), "RISK_MAX_POSITION_PCT": "25"},
                             dotenv_path=None)
    desk = build_desk(services, session_id="s", user=None, price_of=lambda s: LAST,
                      now=lambda: datetime(2020, 3, 2, 15, 0, tzinfo=UTC))
    equity = desk.broker.account().equity
    qty = int(equity * 0.2 / 240)  # each order alone is 20% of equity, resting below the market
    first = desk.propose("AAPL", "buy", qty=qty, order_type="limit", limit_price=240)
    second = desk.propose("AAPL", "buy", qty=qty, order_type="limit", limit_price=240)
    assert first.risk.passed and second.risk.passed  # proposed while nothing rests yet
    assert desk.confirm(first.id, None).ok
    outcome = desk.confirm(second.id, None)  # the gate runs again at confirmation: the first order now rests
    assert not outcome.ok and "max position size" in outcome.message
    assert len(desk.broker.orders("open")) == 1


def test_shorts_need_the_account_to_allow_them():
    order = OrderRequest("AAPL", "sell", qty=10)
    assert report(order).passed
    r = report(order, account=dataclasses.replace(ACCOUNT, shorting_enabled=False))
    assert [c.name for c in r.failures] == ["shares available"]
    assert "the account does not allow short selling" in r.summary()


def test_the_card_shows_the_last_price_and_that_it_fills_at_market(tmp_path):
    services = load_settings({"PAPER_LEDGER_PATH": str(tmp_path / "l.sqlite3")},
                                               dotenv_path=None)
    desk = build_desk(services, session_id="s", user=None, price_of=lambda s: LAST,
                      now=lambda: datetime(2020, 3, 2, 15, 0, tzinfo=UTC))
    ticket = desk.propose("AAPL", "buy", qty=1, order_type="limit", limit_price=1000)
    text = ticket_markdown(ticket, desk.mode_label(), desk.now())
    assert "limit $1,000.00" in text and "**Last price $244.60** · fills at market" in text
    resting = desk.propose("AAPL", "buy", qty=1, order_type="limit", limit_price=200)
    card = ticket_markdown(resting, desk.mode_label(), desk.now())
    assert "limit $200.00" in card and "**Last price $244.60**" in card and "fills at market" not in card
    assert "would rest until the price reaches $200.00" in card
    stored = desk.tickets.get(ticket.id, desk.now())  # the fields survive the ticket book
    assert (stored.risk.last_price, stored.risk.fills_at_market) == (LAST, True)
    assert ticket.to_dict()["risk"]["last_price"] == LAST and ticket.to_dict()["risk"]["fills_at_market"] is True


def test_the_paper_ledger_never_shorts(tmp_path):
    services = load_settings({"PAPER_LEDGER_PATH": str(tmp_path / "l.sqlite3")},
                                               dotenv_path=None)
    desk = build_desk(services, session_id="s", user=None, price_of=lambda s: LAST,
                      now=lambda: datetime(2020, 3, 2, 15, 0, tzinfo=UTC))
    ticket = desk.propose("AAPL", "sell", qty=1)
    assert not ticket.risk.passed and "cannot be sold short here" in ticket.risk.summary()


# --- the report's attack, on the Alpaca stand-in -----------------------------------------------------

KEY, SECRET = "PKTEST1234567890ABCD", "sEcReT0987654321zyxwvutsrqponmlkjihgfedc"
NOW = datetime(2025, 6, 24, 18, 15, tzinfo=UTC)


@pytest.fixture
def alpaca():
    server = AlpacaStandIn(KEY, SECRET).start()
    yield server
    server.stop()


def alpaca_desk(alpaca, **env):
    settings = load_settings({"ALPACA_API_KEY": KEY, "ALPACA_SECRET_KEY": SECRET, "ALPACA_URL_OVERRIDE": alpaca.url,
                              "TRADING_ALLOWLIST": "alice",
                              "PAPER_LEDGER_PATH": str(Path(tempfile.mkdtemp(prefix="smol-orders-")) / "l.sqlite3"),
                              **env}, dotenv_path=None)
    return build_desk(settings, session_id="s1", user="alice", now=lambda: NOW,
                      price_of=lambda symbol: LAST)


def test_sell_10000_aapl_limit_a_cent_is_refused_at_market_value(alpaca):
    """`/sell 10000 AAPL limit 0.01`: the ticket is valued at the market ($2.4M), refused, and nothing is sent."""
    desk = alpaca_desk(alpaca)
    ticket = desk.propose("AAPL", "sell", qty=10_000, order_type="limit", limit_price=0.01)
    risk = ticket.risk
    assert risk.est_cost == pytest.approx(10_000 * LAST) and risk.fills_at_market and risk.last_price == LAST
    failed = {c.name for c in risk.failures}
    assert {"max order notional", "max position size"} <= failed  # a short of 2.4M on 104k of equity
    card = json.dumps(ticket_item(desk.ticket_card(ticket)).to_json(), ensure_ascii=False)
    assert "limit $0.01" in card and "**Last price $244.60** · fills at market" in card
    outcome = desk.confirm(ticket.id, "alice")
    assert not outcome.ok and "refused by the risk gate" in outcome.message
    assert alpaca.posted_orders() == []


def test_alpaca_shorting_follows_the_accounts_setting(alpaca):
    assert load("v2_account.json")["shorting_enabled"] is True
    desk = alpaca_desk(alpaca, RISK_MAX_POSITION_PCT="100")
    assert desk.broker.account().shorting_enabled is True
    ticket = desk.propose("AAPL", "sell", qty=20)  # holds 5: a short of 15
    assert ticket.risk.passed
    alpaca.account = {**alpaca.account, "shorting_enabled": False}
    refused = desk.propose("AAPL", "sell", qty=20)
    assert "the account does not allow short selling" in refused.risk.summary()
    assert desk.propose("AAPL", "sell", qty=5).risk.passed  # selling what it holds needs no shorting
