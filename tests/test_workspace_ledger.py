"""The paper ledger as workspace data: consistent concurrent reads, reads that never write, account deletion."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from trading.broker import OrderRequest
from trading.paper import PaperBroker
from trading.paper_ledger import delete_paper_account

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def broker(path, account="workspace:ws_a", price=100.0) -> PaperBroker:
    return PaperBroker(path, account, starting_cash=100_000.0, price_of=lambda s: price, now=lambda: NOW)


def test_a_concurrent_read_never_sees_half_an_order(tmp_path):
    ledger = broker(tmp_path / "l.sqlite3")  # one instance, one connection: shared by every tab of a workspace
    done, seen = threading.Event(), []

    def trade():
        for i in range(60):
            ledger.submit(OrderRequest("AAPL", "buy" if i % 2 == 0 else "sell", qty=3))
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


def test_reads_never_write(tmp_path):
    path = tmp_path / "l.sqlite3"
    ledger = broker(path)
    ledger.submit(OrderRequest("AAPL", "buy", type="limit", qty=1, limit_price=90, time_in_force="gtc"))
    before = path.with_name("l.sqlite3-wal").stat().st_size
    changes = ledger._conn.total_changes
    for _ in range(5):
        ledger.account()
        ledger.positions()
        ledger.fills()
        ledger.realized_pl()
    assert ledger._conn.total_changes == changes
    assert path.with_name("l.sqlite3-wal").stat().st_size == before


def test_deleting_an_account_leaves_the_others(tmp_path):
    path = tmp_path / "l.sqlite3"
    mine, theirs = broker(path, "workspace:ws_a"), broker(path, "workspace:ws_b")
    mine.submit(OrderRequest("AAPL", "buy", qty=2))
    theirs.submit(OrderRequest("AAPL", "buy", qty=5))
    delete_paper_account(path, "workspace:ws_a")
    assert [p.qty for p in theirs.positions()] == [5] and theirs.audit() == []
    assert broker(path, "workspace:ws_a").positions() == []  # a fresh account
