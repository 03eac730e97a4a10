"""The risk gate: each check passes and fails deterministically; checked at proposal AND again at confirmation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from core.settings import load_settings
from trading.broker import Account, Asset, OrderRequest
from trading.desk import build_desk
from trading.market_hours import us_equity_clock
from trading.risk import RiskLimits, evaluate

LIMITS = RiskLimits(max_order_notional=10_000, max_position_pct=20, max_orders_per_day=3, kill_switch=False)
ACCOUNT = Account(cash=50_000, equity=50_000, buying_power=50_000)
ASSET = Asset("AAPL", "Apple", tradable=True, fractionable=True, shortable=False)
OPEN = us_equity_clock(datetime(2020, 3, 2, 15, 0, tzinfo=UTC))  # Monday 10:00 New York
CLOSED = us_equity_clock(datetime(2020, 3, 1, 15, 0, tzinfo=UTC))  # Sunday


def verdict(order, **overrides):
    args = dict(limits=LIMITS, price=100.0, account=ACCOUNT, position_qty=0.0, asset=ASSET, clock=OPEN,
                orders_today=0)
    args.update(overrides)
    report = evaluate(order, **args)
    return {c.name: c.passed for c in report.checks}, report


def test_a_reasonable_order_passes_every_check():
    checks, report = verdict(OrderRequest("AAPL", "buy", qty=10))
    assert report.passed and all(checks.values())
    assert report.est_cost == 1000 and report.pct_of_equity == pytest.approx(2.0)


@pytest.mark.parametrize("order, overrides, failing", [
    (OrderRequest("AAPL", "buy", qty=10), {"limits": dataclasses.replace(LIMITS, kill_switch=True)}, "kill switch"),
    (OrderRequest("AAPL", "buy", qty=10), {"asset": dataclasses.replace(ASSET, tradable=False)}, "tradable symbol"),
    (OrderRequest("AAPL", "buy", qty=0), {}, "sane quantity"),
    (OrderRequest("AAPL", "buy", qty=1.5), {"asset": dataclasses.replace(ASSET, fractionable=False)},
     "sane quantity"),
    (OrderRequest("AAPL", "buy", qty=101), {"account": Account(cash=500_000, equity=500_000, buying_power=500_000)},
     "max order notional"),
    (OrderRequest("AAPL", "buy", qty=90), {"account": Account(cash=5_000, equity=500_000, buying_power=5_000)},
     "buying power"),
    (OrderRequest("AAPL", "buy", qty=95), {"position_qty": 10.0}, "max position size"),
    (OrderRequest("AAPL", "sell", qty=5), {"position_qty": 2.0}, "shares available"),
    (OrderRequest("AAPL", "buy", qty=1), {"clock": CLOSED}, "market hours"),
    (OrderRequest("AAPL", "buy", qty=1), {"orders_today": 3}, "orders per day"),
    (OrderRequest("AAPL", "buy", qty=1, take_profit=90, stop_loss=80), {}, "sane prices"),
])
def test_each_check_fails_on_its_own(order, overrides, failing):
    checks, report = verdict(order, **overrides)
    assert not report.passed
    assert [name for name, passed in checks.items() if not passed] == [failing]


def test_market_hours_only_applies_to_market_orders_and_says_when_it_opens():
    _, limit_report = verdict(OrderRequest("AAPL", "buy", type="limit", qty=1, limit_price=99), clock=CLOSED)
    assert limit_report.passed
    _, market_report = verdict(OrderRequest("AAPL", "buy", qty=1), clock=CLOSED)
    [failure] = market_report.failures
    assert "closed" in failure.detail and "Mon 2020-03-02 09:30" in failure.detail


def test_shorting_needs_a_shortable_asset_and_an_account_that_allows_it():
    shortable = dataclasses.replace(ASSET, shortable=True)
    checks, _ = verdict(OrderRequest("AAPL", "sell", qty=5), asset=shortable,
                        account=dataclasses.replace(ACCOUNT, shorting_enabled=True))
    assert checks["shares available"]
    checks, report = verdict(OrderRequest("AAPL", "sell", qty=5), asset=shortable)  # shorting_enabled off
    assert not checks["shares available"] and "the account does not allow short selling" in report.summary()


def test_same_inputs_same_verdict():
    order = OrderRequest("AAPL", "buy", qty=95, client_order_id="x")
    assert verdict(order, position_qty=10.0)[1] == verdict(order, position_qty=10.0)[1]


# --- checked again at confirmation ------------------------------------------------------------------------

class Clock:
    def __init__(self, now: datetime):
        self.value = now

    def __call__(self) -> datetime:
        return self.value


def desk_with(tmp_path, now: Clock, **env):
    current = {"settings": load_settings({"PAPER_LEDGER_PATH": str(tmp_path / "ledger.sqlite3"),
                                          "RISK_MAX_ORDERS_PER_DAY": "2", **env}, dotenv_path=None)}
    desk = build_desk(lambda: current["settings"], session_id="s", user=None, now=now, price_of=lambda s: 100.0)
    return current, desk


def test_kill_switch_flipped_between_proposal_and_confirmation_refuses(tmp_path):
    now = Clock(datetime(2020, 3, 2, 15, 0, tzinfo=UTC))
    current, desk = desk_with(tmp_path, now)
    ticket = desk.propose("AAPL", "buy", qty=1)
    assert ticket.risk.passed
    current["settings"] = dataclasses.replace(current["settings"], trading_kill_switch=True)
    outcome = desk.confirm(ticket.id, None)
    assert not outcome.ok and "kill switch" in outcome.message
    assert ticket.status == "refused"
    assert desk.broker.orders("all") == []


def test_market_closing_between_proposal_and_confirmation_refuses(tmp_path):
    now = Clock(datetime(2020, 3, 2, 20, 55, tzinfo=UTC))  # 15:55 New York
    _, desk = desk_with(tmp_path, now, TICKET_TTL_S="900")
    ticket = desk.propose("AAPL", "buy", qty=1)
    now.value += timedelta(minutes=10)
    outcome = desk.confirm(ticket.id, None)
    assert "market is closed" in outcome.message and desk.broker.orders("all") == []


def test_daily_order_limit_counts_confirmed_orders(tmp_path):
    now = Clock(datetime(2020, 3, 2, 15, 0, tzinfo=UTC))
    _, desk = desk_with(tmp_path, now)
    for _ in range(2):
        t = desk.propose("AAPL", "buy", qty=1)
        desk.confirm(t.id, None)
    third = desk.propose("AAPL", "buy", qty=1)
    assert not third.risk.passed
    assert "orders per day" in desk.confirm(third.id, None).message
    assert len(desk.broker.orders("all")) == 2
    desk.close()
    _, restarted = desk_with(tmp_path, now)  # a restart does not reset the day's count
    fourth = restarted.propose("AAPL", "buy", qty=1)
    assert "orders per day" in restarted.confirm(fourth.id, None).message
    now.value += timedelta(days=1)  # the next trading day (Tuesday)
    fifth = restarted.propose("AAPL", "buy", qty=1)
    assert restarted.confirm(fifth.id, None).ok


def test_tickets_expire(tmp_path):
    now = Clock(datetime(2020, 3, 2, 15, 0, tzinfo=UTC))
    _, desk = desk_with(tmp_path, now, TICKET_TTL_S="60")
    ticket = desk.propose("AAPL", "buy", qty=1)
    now.value += timedelta(seconds=61)
    assert desk.pending_tickets() == []
    outcome = desk.confirm(ticket.id, None)
    assert not outcome.ok and "expired" in outcome.message and desk.broker.orders("all") == []
