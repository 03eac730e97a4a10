"""The built-in paper broker: order types, brackets, persistence, property tests over real price paths, kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trading.broker import BrokerError, InsufficientFunds, OrderRejected, OrderRequest
from trading.paper import PaperBroker

PRICES_DIR = Path(__file__).resolve().parent / "fixtures" / "trading"
SYMBOLS = ("AAPL", "AMZN", "GOOG")


def real_history(symbol: str) -> list[tuple[datetime, float]]:
    """(bar time, close) for 2020 from the recorded Yahoo chart response."""
    body = json.loads((PRICES_DIR / f"chart-{symbol}-1d-2020-01-01-to-2021-01-04.json").read_text())
    result = body["response"]["bodyJson"]["chart"]["result"][0]
    closes = result["indicators"]["quote"][0]["close"]
    return [(datetime.fromtimestamp(t, UTC), c) for t, c in zip(result["timestamp"], closes) if c]


HISTORY = {s: real_history(s) for s in SYMBOLS}


class Market:
    """A replay of the real 2020 closes: `step()` moves every symbol one trading day on."""

    def __init__(self, index: int = 0):
        self.index = index

    def price_of(self, symbol: str) -> float:
        if symbol not in HISTORY:
            raise KeyError(f"unknown symbol {symbol}")
        return HISTORY[symbol][self.index][1]

    def now(self) -> datetime:
        day = HISTORY["AAPL"][self.index][0]
        return day.replace(hour=15, minute=0)  # 11:00 New York, market open

    def step(self, days: int = 1) -> None:
        self.index = min(self.index + days, len(HISTORY["AAPL"]) - 1)


def paper(market: Market, path=":memory:", account="acct", cash=100_000.0) -> PaperBroker:
    return PaperBroker(path, account, starting_cash=cash, price_of=market.price_of, now=market.now)


def test_market_buy_fills_at_the_current_quote():
    market = Market(10)
    broker = paper(market)
    order = broker.submit(OrderRequest("AAPL", "buy", qty=10))
    price = HISTORY["AAPL"][10][1]
    assert order.status == "filled" and order.filled_avg_price == pytest.approx(price)
    assert broker.account().cash == pytest.approx(100_000 - 10 * price)
    [pos] = broker.positions()
    assert pos.qty == 10 and pos.avg_cost == pytest.approx(price)


def test_notional_buys_fractional_shares():
    market = Market(0)
    broker = paper(market)
    order = broker.submit(OrderRequest("AMZN", "buy", notional=1000))
    assert order.status == "filled"
    assert 0 < order.filled_qty * order.filled_avg_price <= 1000
    assert order.filled_qty != int(order.filled_qty)


def test_limit_rests_until_the_price_crosses():
    market = Market(0)
    broker = paper(market)
    start = market.price_of("AAPL")
    low_day = next(i for i, (_, p) in enumerate(HISTORY["AAPL"]) if p < start * 0.9)
    limit = round(start * 0.9, 2)
    order = broker.submit(OrderRequest("AAPL", "buy", type="limit", qty=5, limit_price=limit, time_in_force="gtc"))
    assert order.status == "new"
    assert broker.account().buying_power == pytest.approx(100_000 - 5 * limit)
    market.index = low_day
    filled = broker.order(order.id)
    broker.sweep()
    filled = broker.order(order.id)
    assert filled.status == "filled" and filled.filled_avg_price <= limit


def test_stop_sell_triggers_on_the_way_down_and_stop_limit_waits_for_its_limit():
    market = Market(0)
    broker = paper(market)
    broker.submit(OrderRequest("AAPL", "buy", qty=10))
    start = market.price_of("AAPL")
    stop = broker.submit(OrderRequest("AAPL", "sell", type="stop", qty=5, stop_price=round(start * 0.95, 2),
                                      time_in_force="gtc"))
    assert stop.status == "new"
    market.index = next(i for i, (_, p) in enumerate(HISTORY["AAPL"]) if p < start * 0.95)
    assert broker.order(stop.id).status == "new"  # nothing moves until someone looks
    broker.sweep()
    assert broker.order(stop.id).status == "filled"


def test_bracket_opens_take_profit_and_stop_loss_and_one_cancels_the_other():
    market = Market(0)
    broker = paper(market)
    start = market.price_of("AAPL")
    order = broker.submit(OrderRequest("AAPL", "buy", qty=10, take_profit=round(start * 1.2, 2),
                                       stop_loss=round(start * 0.7, 2)))
    legs = {leg.type: leg for leg in broker.order(order.id).legs}
    assert set(legs) == {"limit", "stop"} and all(leg.status == "new" for leg in legs.values())
    market.index = next(i for i, (_, p) in enumerate(HISTORY["AAPL"]) if p > start * 1.2)
    broker.sweep()
    legs = {leg.type: leg for leg in broker.order(order.id).legs}
    assert legs["limit"].status == "filled"
    assert legs["stop"].status == "canceled"
    assert broker.positions() == []
    assert broker.realized_pl() > 0


def test_cancel_releases_the_reservation():
    market = Market(0)
    broker = paper(market)
    order = broker.submit(OrderRequest("GOOG", "buy", type="limit", qty=1, limit_price=1000, time_in_force="gtc"))
    broker.cancel(order.id[:8])
    assert broker.order(order.id).status == "canceled"
    assert broker.account().buying_power == 100_000
    with pytest.raises(OrderRejected, match="only open orders"):
        broker.cancel(order.id)


def test_day_orders_expire_on_the_next_session():
    market = Market(0)
    broker = paper(market)
    order = broker.submit(OrderRequest("GOOG", "buy", type="limit", qty=1, limit_price=100))
    market.step()
    assert broker.orders("open") != []  # a read changes nothing
    broker.sweep()
    assert broker.orders("open") == []
    assert broker.order(order.id).status == "expired"


def test_no_shorting_and_no_overspending():
    broker = paper(Market(0), cash=1_000)
    with pytest.raises(InsufficientFunds, match="does not short"):
        broker.submit(OrderRequest("AAPL", "sell", qty=1))
    with pytest.raises(InsufficientFunds, match="buying power"):
        broker.submit(OrderRequest("AMZN", "buy", qty=10))
    with pytest.raises(OrderRejected, match="positive"):
        broker.submit(OrderRequest("AAPL", "buy", qty=-1))
    with pytest.raises(OrderRejected, match="No current price"):
        broker.submit(OrderRequest("NOPE", "buy", qty=1))


def test_same_client_order_id_is_one_order():
    broker = paper(Market(0))
    order = OrderRequest("AAPL", "buy", qty=1)
    first, second = broker.submit(order), broker.submit(order)
    assert first.id == second.id
    assert len(broker.fills()) == 1


def test_ledger_survives_a_restart_and_accounts_are_separate(tmp_path):
    market = Market(0)
    path = tmp_path / "ledger.sqlite3"
    broker = paper(market, path)
    broker.submit(OrderRequest("AAPL", "buy", qty=3))
    broker.close()
    reopened = paper(market, path)
    assert [p.qty for p in reopened.positions()] == [3]
    other = paper(market, path, account="someone-else")
    assert other.positions() == [] and other.account().cash == 100_000


# --- property tests -----------------------------------------------------------------------------------

ORDER = st.tuples(
    st.just("order"), st.sampled_from(SYMBOLS), st.sampled_from(("buy", "sell")),
    st.sampled_from(("market", "limit", "stop", "stop_limit")),
    st.floats(min_value=0.01, max_value=150, allow_nan=False).map(lambda q: round(q, 3)),
    st.floats(min_value=0.85, max_value=1.15), st.booleans(), st.booleans(), st.sampled_from(("day", "gtc")),
)
MOVE = st.tuples(st.just("move"), st.integers(min_value=1, max_value=15))
CANCEL = st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=60))
RETRY = st.tuples(st.just("retry"), st.integers(min_value=0, max_value=60))


def books_reconcile(broker: PaperBroker, starting_cash: float) -> None:
    """Cash and positions, re-derived from the fill history alone, match the account; nothing is negative."""
    broker.sweep()  # resting orders that crossed fill first; the reads below then all see one state
    assert broker.audit() == []
    fills = broker.fills()
    cash = starting_cash - sum(f.qty * f.price * (1 if f.side == "buy" else -1) for f in fills)
    held: dict[str, float] = {}
    for f in fills:
        held[f.symbol] = held.get(f.symbol, 0.0) + (f.qty if f.side == "buy" else -f.qty)
        assert held[f.symbol] > -1e-9, "sold shares that were not held"
    account = broker.account()
    assert account.cash == pytest.approx(cash, abs=1e-6)
    assert account.cash >= 0 and account.buying_power >= -1e-9
    positions = {p.symbol: p.qty for p in broker.positions()}
    for symbol in set(held) | set(positions):
        assert positions.get(symbol, 0.0) == pytest.approx(held.get(symbol, 0.0), abs=1e-9)
        assert positions.get(symbol, 0.0) >= 0
    filled = [o for o in broker.orders("all", limit=1000) if o.status == "filled"]
    assert len(filled) == len(fills)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=200), st.lists(st.one_of(ORDER, MOVE, CANCEL, RETRY), max_size=35))
def test_random_orders_and_real_price_moves_keep_the_books_consistent(start, actions):
    market = Market(start)
    broker = paper(market, cash=50_000)
    submitted: list[OrderRequest] = []
    for action in actions:
        if action[0] == "order":
            _, symbol, side, kind, qty, factor, bracket, notional, tif = action
            price = market.price_of(symbol)
            level = round(price * factor, 2)
            order = OrderRequest(
                symbol, side, type=kind, time_in_force=tif,
                qty=None if (notional and kind == "market") else qty,
                notional=round(qty * price, 2) if (notional and kind == "market") else None,
                limit_price=level if kind in ("limit", "stop_limit") else None,
                stop_price=level if kind in ("stop", "stop_limit") else None,
                take_profit=round(price * 1.1, 2) if bracket and side == "buy" else None,
                stop_loss=round(price * 0.9, 2) if bracket and side == "buy" else None,
            )
            try:
                broker.submit(order)
                submitted.append(order)
            except BrokerError:
                pass
        elif action[0] == "move":
            market.step(action[1])
        elif action[0] == "cancel":
            open_orders = broker.orders("open")
            if open_orders:
                broker.cancel(open_orders[action[1] % len(open_orders)].id)
        elif action[0] == "retry" and submitted:
            before = (len(broker.orders("all", limit=1000)), len(broker.fills()))
            broker.submit(submitted[action[1] % len(submitted)])
            assert (len(broker.orders("all", limit=1000)), len(broker.fills())) == before
        books_reconcile(broker, 50_000)


# --- kill -9 in the middle of an order ------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import os, signal, sys
    from datetime import datetime, timezone
    from trading.paper import PaperBroker
    from trading.broker import OrderRequest

    path, kill_at, coid = sys.argv[1], sys.argv[2], sys.argv[3]
    now = lambda: datetime(2020, 3, 2, 15, 0, tzinfo=timezone.utc)
    broker = PaperBroker(path, "acct", starting_cash=100000, price_of=lambda s: 100.0, now=now)
    broker.submit(OrderRequest("AAPL", "buy", qty=10, client_order_id="first"))

    def trace(statement):
        if statement.lstrip().upper().startswith(kill_at.upper()):
            os.kill(os.getpid(), signal.SIGKILL)  # kill -9, exactly here, mid-transaction

    broker._db.sqlite_connection.set_trace_callback(trace)
    broker.submit(OrderRequest("AAPL", "buy", qty=5, type="limit", limit_price=101, take_profit=120,
                               stop_loss=90, client_order_id=coid))
    print("not killed")
""")

KILL_POINTS = ["INSERT INTO orders", "UPDATE accounts", "INSERT INTO positions", "INSERT INTO fills",
               "UPDATE orders SET status = 'filled'", "COMMIT"]


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_kill_9_mid_order_leaves_the_ledger_consistent(tmp_path, kill_at):
    path = tmp_path / "ledger.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), kill_at, "second"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr

    def market_now():
        return datetime(2020, 3, 2, 15, 0, tzinfo=UTC)

    broker = PaperBroker(path, "acct", starting_cash=100000, price_of=lambda s: 100.0, now=market_now)
    assert broker.audit() == []
    assert broker.order_by_client_id("second") is None  # all of the killed order, or none of it: none
    assert [f.qty for f in broker.fills()] == [10]
    assert broker.account().cash == 100000 - 10 * 100
    placed = broker.submit(OrderRequest("AAPL", "buy", qty=5, type="limit", limit_price=101, take_profit=120,
                                        stop_loss=90, client_order_id="second"))
    assert placed.status == "filled" and len(placed.legs) == 2
    assert broker.audit() == []
