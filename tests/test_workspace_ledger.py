"""The paper ledger as workspace data: consistent concurrent reads, reads that never write, account deletion."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

from trading.broker import OrderRequest
from trading.paper import PaperBroker
from trading.paper_ledger import delete_paper_account

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def broker(path, account="workspace:ws_a", price=100.0) -> PaperBroker:
    return PaperBroker(path, account, starting_cash=100_000.0, price_of=lambda s: price, now=lambda: NOW)


def test_a_concurrent_read_never_sees_half_an_order(tmp_path):
    ledger = broker(tmp_path / "l.sqlite3")  # one instance, one connection: shared by every tab of a workspace
    done, seen = threading.Event(), []

    def trade():  # 60 orders at least, and on until the readers have read between orders (a busy CI machine may
        # let the trader run its 60 alone); a reader that never gets a turn fails the count below
        i = 0
        while i < 60 or (len(seen) <= 20 and i < 2000):
            ledger.submit(OrderRequest("AAPL", "buy" if i % 2 == 0 else "sell", qty=3))
            i += 1
        done.set()

    def read():
        while not done.is_set():
            account = ledger.account()
            seen.append(account.equity)  # at a constant price, equity is exactly the starting cash
    threads = [threading.Thread(target=trade), threading.Thread(target=read), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(seen) > 10
    assert set(seen) == {100_000.0}
    assert ledger.audit() == []


@pytest.fixture
def busy_threads():
    """Threads switch as often as they can, so a read lands inside another thread's transaction if it may."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_a_concurrent_orders_read_never_sees_half_an_order(tmp_path, busy_threads):
    ledger = broker(tmp_path / "l.sqlite3")
    done, seen, problems = threading.Event(), [], []

    def trade():  # market bracket buys: each fills at once and opens its two exit legs, in one transaction
        for _ in range(40):
            ledger.submit(OrderRequest("AAPL", "buy", qty=1, take_profit=150, stop_loss=50))
        done.set()

    def read():
        while not done.is_set():
            orders = ledger.orders("all", limit=200)  # the entries and, as rows of their own, their exit legs
            entries = [o for o in orders if o.side == "buy"]
            seen.append(len(entries))
            if len(orders) != 3 * len(entries):
                problems.append(f"{len(entries)} entries but {len(orders) - len(entries)} legs")
            for order in entries:
                legs = sorted((leg.type, leg.status) for leg in order.legs)
                if order.status != "filled" or order.filled_qty != 1 or legs != [("limit", "new"), ("stop", "new")]:
                    problems.append((order.status, order.filled_qty, legs))
    threads = [threading.Thread(target=trade), threading.Thread(target=read), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(seen) > 10 and len(set(seen)) > 1 and problems == []
    assert len(ledger.orders("all", limit=200)) == 3 * 40 and ledger.audit() == []


def test_reads_never_write(tmp_path):
    path = tmp_path / "l.sqlite3"
    prices, clock = {"AAPL": 100.0}, {"now": NOW}
    ledger = PaperBroker(path, "workspace:ws_a", starting_cash=100_000.0, price_of=prices.__getitem__,
                         now=lambda: clock["now"])
    resting = ledger.submit(OrderRequest("AAPL", "buy", type="limit", qty=1, limit_price=90, time_in_force="gtc"))
    day = ledger.submit(OrderRequest("AAPL", "buy", type="limit", qty=1, limit_price=80))
    prices["AAPL"], clock["now"] = 85.0, NOW + timedelta(days=1)  # one order would fill, the other expire
    before = path.with_name("l.sqlite3-wal").stat().st_size
    changes = ledger._db.sqlite_connection.total_changes
    for _ in range(5):
        ledger.account()
        ledger.positions()
        ledger.fills()
        ledger.realized_pl()
        assert {o.id for o in ledger.orders("open")} == {resting.id, day.id}
        ledger.orders("all")
        ledger.order(resting.id)
        ledger.order_by_client_id(resting.client_order_id)
    assert ledger._db.sqlite_connection.total_changes == changes
    assert path.with_name("l.sqlite3-wal").stat().st_size == before
    ledger.sweep()  # the write that brings them up to date is asked for explicitly
    assert (ledger.order(resting.id).status, ledger.order(day.id).status) == ("filled", "expired")


def test_deleting_an_account_leaves_the_others(tmp_path):
    path = tmp_path / "l.sqlite3"
    mine, theirs = broker(path, "workspace:ws_a"), broker(path, "workspace:ws_b")
    mine.submit(OrderRequest("AAPL", "buy", qty=2))
    theirs.submit(OrderRequest("AAPL", "buy", qty=5))
    delete_paper_account(path, "workspace:ws_a")
    assert [p.qty for p in theirs.positions()] == [5] and theirs.audit() == []
    assert broker(path, "workspace:ws_a").positions() == []  # a fresh account
