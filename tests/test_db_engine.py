"""The one engine (core.db) and its stores on SQLite and, when TEST_DATABASE_URL is given, PostgreSQL: the same
store calls give the same answers; files made before Alembic are upgraded in place with nothing lost; what must
happen once (a ticket claim, the last place in a rate window, a job's slot) happens once under concurrency."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.rules import parse_rule
from alerts.store import AlertStore
from core.db import Database, head_revision, run_once
from quota.store import UsageStore
from tests.replicas import SERVER_URL, fresh_database
from trading.broker import OrderRequest
from trading.paper import PaperBroker
from trading.risk import RiskReport
from trading.tickets import EXECUTING, TicketBook
from workspace.run_store import RunRecord, RunStore
from workspace.store import WorkspaceStore

PRE_ALEMBIC = Path(__file__).parent / "fixtures" / "pre_alembic"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
RISK = RiskReport(checks=(), est_price=200.0, est_qty=1, est_cost=200.0, pct_of_equity=0.2)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request, tmp_path):
    """Where the stores live: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "store.sqlite3")
        return
    if not SERVER_URL:
        pytest.skip("no PostgreSQL server (TEST_DATABASE_URL)")
    with fresh_database() as url:
        yield url


def test_every_store_round_trips_on_either_engine(target):
    db = Database(target)
    assert db.revision == head_revision()
    workspaces = WorkspaceStore(db)
    ws, key = workspaces.new_anonymous()
    assert workspaces.resolve_key(key) == ws
    chat = workspaces.create_conversation(ws, "How is AAPL?")
    workspaces.save(ws, chat.id, [(0, '{"a": 1}'), (1, '{"b": 22}')])
    workspaces.save(ws, chat.id, [(1, '{"b": 2}')])  # replaced: the size follows
    assert workspaces.records(ws, chat.id) == ['{"a": 1}', '{"b": 2}']
    assert workspaces.conversation(ws, chat.id).bytes == len('{"a": 1}') + len('{"b": 2}')
    workspaces.record_equity(ws, "2026-11-20", 1.0, 2.0, "t1")
    workspaces.record_equity(ws, "2026-11-20", 3.0, 2.0, "t2")
    assert workspaces.equity_history(ws) == [("2026-11-20", 3.0, 2.0, "t2")]
    assert [workspaces.add_lab_entry(ws, "{}", "[]", keep=2) for _ in range(3)] == [1, 2, 3]
    assert [n for n, _ in workspaces.lab_entries(ws)] == [2, 3]
    assert workspaces.meta("secret", lambda: "one") == workspaces.meta("secret", lambda: "two") == "one"
    assert workspaces.for_user("ada") == workspaces.for_user("ada")

    alerts = AlertStore(target)
    alert = alerts.add_alert(ws, parse_rule(["AAPL", "above", "250"]), status="active", source="person", note="",
                             now=NOW)
    assert alerts.watch(ws, ["AAPL", "MSFT"], NOW) == ["AAPL", "MSFT"] and alerts.watch(ws, ["AAPL"], NOW) == []
    [first] = alerts.record_check([(1, 252.0, alert.id)], [(alert.id,)], [(ws, "alert", "t", "b", {}, "none")], NOW)
    second = alerts.add_notification(ws, "brief", "t", "b", {"x": 1}, "none", NOW)
    assert second > first and alerts.unread_count(ws) == 2
    alerts.mark_read(ws, second, NOW)
    alerts.mark_read(ws, first, NOW)  # never moves back
    assert alerts.unread_count(ws) == 0
    brief = alerts.add_brief(ws, "daily", "16:30", None, NOW)
    assert alerts.claim_brief(brief.id, None, "slot-1") and not alerts.claim_brief(brief.id, None, "slot-1")
    assert alerts.claim_brief(brief.id, "slot-1", "slot-2")

    usage = UsageStore(target)
    assert (usage.add("v", "d", 5), usage.add("v", "d", 7), usage.used("v", "d")) == (5, 12, 12)

    runs = RunStore(target)
    runs.save(RunRecord(id="r1", workspace=ws, message="m", status="running", created=1.0, updated=time.time()))
    assert runs.request_stop(ws, "r1") and not runs.request_stop("other", "r1")
    assert runs.stops_requested(["r1", "r2"]) == ["r1"]
    assert runs.get(ws, "r1").status == "running" and runs.get("other", "r1") is None

    broker = PaperBroker(target, "acct-1", starting_cash=1000, price_of=lambda s: 10.0, now=lambda: NOW)
    assert broker.submit(OrderRequest(symbol="AAPL", side="buy", qty=3, client_order_id="c1")).status == "filled"
    assert broker.account().cash == 970.0 and broker.audit() == []
    for store in (alerts, usage, runs, broker):
        store.close()
    workspaces.delete_workspace(ws)
    assert not workspaces.exists(ws) and workspaces.records(ws, chat.id) == []
    db.close()


def test_a_ticket_confirmed_from_many_threads_is_claimed_once(target):
    books = [TicketBook(target, workspace="ws", account="acct", ttl_s=300) for _ in range(8)]
    ticket = books[0].create(OrderRequest(symbol="AAPL", side="buy", qty=1, client_order_id="c"), RISK, NOW)
    start, won = threading.Barrier(len(books)), []

    def claim(book):
        mine = book.get(ticket.id, NOW)
        start.wait()
        if book.claim(mine, NOW):
            won.append(book)

    threads = [threading.Thread(target=claim, args=(book,)) for book in books]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 1 and books[3].get(ticket.id, NOW).status == EXECUTING
    for book in books:
        book.close()


def test_the_last_place_in_the_rate_window_goes_to_one_caller(target):
    shared = "://" in target  # PostgreSQL: four stores (four replicas) count in one window; SQLite: one process
    stores = [UsageStore(target) for _ in range(4)] if shared else [UsageStore(target)] * 4
    start, admitted = threading.Barrier(12), []

    def take(store):
        start.wait()
        if len(store.window("visitor", 1000.0, 60.0, 6, count=True)) < 6:
            admitted.append(1)

    threads = [threading.Thread(target=take, args=(stores[i % 4],)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(admitted) == 6
    assert len(stores[0].window("visitor", 1059.0, 60.0, 6, count=False)) == 6
    assert stores[0].window("visitor", 1060.0, 60.0, 6, count=False) == []  # a minute later: free again
    for store in set(stores):
        store.close()


def test_a_periodic_job_runs_once_per_slot(target):
    dbs = [Database(target) for _ in range(3)]
    ran, clock = [], [1000.0]
    for _ in range(2):
        for db in dbs:
            run_once(db, "job", 60.0, lambda: ran.append(1), clock=lambda: clock[0])
    assert len(ran) == 1
    clock[0] += 60
    for db in dbs:
        run_once(db, "job", 60.0, lambda: ran.append(1), clock=lambda: clock[0])
    assert len(ran) == 2
    for db in dbs:
        db.close()


@pytest.mark.sqlite_only
def test_files_made_before_alembic_are_upgraded_in_place_with_nothing_lost(tmp_path):
    """The files of tests/fixtures/pre_alembic were made by the code of before (make_files.py says how)."""
    data = tmp_path / "data"
    shutil.copytree(PRE_ALEMBIC, data)
    key = (data / "workspace_key.txt").read_text()
    workspaces = WorkspaceStore(Database(data / "workspaces.sqlite3"))
    ws = workspaces.resolve_key(key)
    [chat] = workspaces.conversations(ws)
    assert chat.title == "How is AAPL doing?" and len(workspaces.records(ws, chat.id)) == 2
    assert chat.bytes == sum(len(r) for r in workspaces.records(ws, chat.id))
    assert workspaces.equity_history(ws) == [("2026-11-20", 100_250.0, 98_000.0, "2026-11-20T21:00:00+00:00")]
    assert [n for n, _ in workspaces.lab_entries(ws)] == [1]
    assert workspaces.meta("browser_state_secret", lambda: "new") == "kept-secret"
    assert workspaces.db.revision == head_revision()

    broker = PaperBroker(data / "paper_ledger.sqlite3", "acct-1", starting_cash=5, price_of=lambda s: 200.0,
                         now=lambda: NOW)
    assert broker.account().cash == 98_000.0 and [p.symbol for p in broker.positions()] == ["AAPL"]
    assert broker.audit() == []
    book = TicketBook(data / "paper_ledger.sqlite3", workspace=ws, account="acct-1", ttl_s=300)
    ticket_id = (data / "ticket_id.txt").read_text()
    assert book.get(ticket_id, datetime(2026, 11, 20, 15, 1, tzinfo=UTC)).order.symbol == "MSFT"

    alerts = AlertStore(data / "alerts.sqlite3")
    assert [a.rule.symbol for a in alerts.alerts(ws)] == ["AAPL"] and len(alerts.briefs(ws)) == 1
    assert [n.title for n in alerts.notifications(ws)] == ["AAPL above 250"] and alerts.unread_count(ws) == 0
    assert alerts.add_notification(ws, "brief", "t", "b", {}, "none", NOW) == 2  # ids go on from the old ones

    runs = RunStore(data / "runs.sqlite3")
    assert runs.get(ws, "run-1").answer == "hi"
    assert UsageStore(data / "usage.sqlite3").used("workspace:" + ws, "2026-11-20") == 1234
    for store in (broker, book, alerts, runs):
        store.close()
