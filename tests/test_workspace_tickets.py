"""Order tickets last: a restart keeps pending tickets (still confirmable exactly once, still expiring) and decided
ones (their cards show the outcome, no live buttons); two confirmations at once execute one order; export and
workspace deletion see them. "A restart" is new app objects (services, desks, app) over the same files."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import gradio as gr
import pytest

from core.settings import load_settings
from standins.scripted_model import ScriptedModel
from tests.harness import local_stack
from trading.desk import build_desk

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

BUY = "/buy 2 AAPL limit 1000"  # marketable: fills at any hour, so nothing here depends on the wall clock
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


class Clock:
    def __init__(self, value: datetime):
        self.value = value

    def __call__(self) -> datetime:
        return self.value


def desk(tmp_path, clock, workspace="ws_a", price_of=lambda s: 100.0, **env):
    """A desk as a freshly started app builds it (its own Services, connections and ticket book)."""
    settings = load_settings({"PAPER_LEDGER_PATH": str(tmp_path / "ledger.sqlite3"), **env}, dotenv_path=None)
    return build_desk(settings, session_id="tab", user=None, now=clock, price_of=price_of,
                      workspace_id=workspace)


def propose(d):
    return d.propose("AAPL", "buy", qty=2, order_type="limit", limit_price=1000)


def test_a_pending_ticket_survives_a_restart_and_confirms_exactly_once(tmp_path):
    clock = Clock(NOW)
    first = desk(tmp_path, clock)
    ticket = propose(first)
    first.close()

    second = desk(tmp_path, clock)  # the app restarted
    [pending] = second.pending_tickets()
    assert (pending.id, pending.status, pending.order) == (ticket.id, "pending", ticket.order)
    assert pending.risk == ticket.risk and pending.expires_at == ticket.expires_at
    outcome = second.confirm(ticket.id.lower(), None)
    assert outcome.ok and outcome.title == f"Ticket {ticket.id}: filled"
    again = second.confirm(ticket.id, None)
    assert "already confirmed; no second order" in again.message
    second.close()

    third = desk(tmp_path, clock)
    assert third.pending_tickets() == []
    [stored] = third.tickets.all()
    assert stored.status == "executed" and stored.result.filled_qty == 2
    assert stored.history == ["confirmed by this session"]
    assert "already confirmed" in third.confirm(ticket.id, None).message
    assert len(third.broker.orders("all")) == 1 and third.broker.audit() == []


def test_expiry_still_applies_after_a_restart(tmp_path):
    clock = Clock(NOW)
    ticket = propose(desk(tmp_path, clock, TICKET_TTL_S="60"))
    clock.value += timedelta(seconds=61)
    later = desk(tmp_path, clock, TICKET_TTL_S="600")  # the expiry was fixed when the ticket was made
    assert later.pending_tickets() == []
    outcome = later.confirm(ticket.id, None)
    assert not outcome.ok and "expired" in outcome.message and later.broker.orders("all") == []
    assert desk(tmp_path, clock).tickets.get(ticket.id, clock()).status == "expired"


def test_tickets_belong_to_one_workspace_and_account(tmp_path):
    clock = Clock(NOW)
    ticket = propose(desk(tmp_path, clock, workspace="ws_a"))
    other = desk(tmp_path, clock, workspace="ws_b")
    assert other.pending_tickets() == []
    assert "no ticket" in other.confirm(ticket.id, None).message and other.broker.orders("all") == []


def test_two_desks_confirming_the_same_ticket_at_once_place_one_order(tmp_path):
    """Two app objects over the same files (two processes, or a restart while a tab still confirms): the
    database's claim lets exactly one confirmation execute."""
    clock = Clock(NOW)
    ticket = propose(desk(tmp_path, clock))
    start = threading.Barrier(2)

    def slow_price(symbol):  # the fresh risk check takes a moment: both confirmations get past "is it pending?"
        time.sleep(0.2)
        return 100.0

    desks = [desk(tmp_path, clock, price_of=slow_price) for _ in range(2)]
    outcomes = []

    def confirm(d):
        start.wait()
        outcomes.append(d.confirm(ticket.id, None))

    threads = [threading.Thread(target=confirm, args=(d,)) for d in desks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(o.title == f"Ticket {ticket.id}: filled" for o in outcomes) == [False, True]
    [loser] = [o for o in outcomes if o.title != f"Ticket {ticket.id}: filled"]
    assert "no second order" in loser.message
    assert len(desks[0].broker.orders("all")) == 1 and len(desks[0].broker.fills()) == 1
    assert desk(tmp_path, clock).tickets.get(ticket.id, clock()).status == "executed"


def test_a_confirmation_cut_off_mid_way_is_reconciled_with_the_broker(tmp_path):
    """A process killed while executing leaves the ticket claimed; later it is executed once, never twice."""
    clock = Clock(NOW)
    placed, unplaced = desk(tmp_path, clock), desk(tmp_path, clock)
    sent, lost = propose(placed), propose(unplaced)
    assert placed.tickets.claim(sent, clock()) and unplaced.tickets.claim(lost, clock())
    placed.broker.submit(sent.order)  # the order reached the broker; the process died before recording it
    placed.close(), unplaced.close()

    later = desk(tmp_path, clock)
    assert "being executed" in later.confirm(sent.id, None).message  # a fresh claim is left alone
    clock.value += timedelta(minutes=3)
    later = desk(tmp_path, clock, TICKET_TTL_S="600")
    assert "already confirmed; no second order" in later.confirm(sent.id, None).message
    assert later.tickets.get(lost.id, clock()).status == "executing"
    assert later.confirm(lost.id, None).title == f"Ticket {lost.id}: filled"
    assert len(later.broker.orders("all")) == 2 and later.broker.audit() == []


# --- through the app: reload after a restart, two tabs, export, delete ----------------------------------------


def team():
    return {"manager": ScriptedModel(), "web_agent": ScriptedModel(), "trader": ScriptedModel()}


def app_over(stack):
    import app

    return app.SmolTraderApp(stack.settings, stack.runtime, model_factory=team)


def tab(name: str) -> gr.Request:
    return gr.Request(session_hash=name)


def ticket_cards(history) -> dict[str, str]:
    """The ticket cards shown, by ticket id."""
    from ui.ticket_cards import card_ticket_id

    return {card_ticket_id(m): str(m.content) for m in history if card_ticket_id(m)}


def options_of(history) -> list[str]:
    return [option["value"] for m in history for option in (getattr(m, "options", None) or [])]


@pytest.mark.sqlite_only  # reads the app's SQLite files
def test_tickets_survive_an_app_restart_and_cards_show_their_outcome(tmp_path):
    with local_stack(tmp_path) as stack:
        ui = app_over(stack)
        key, *_ = ui.workspace_panel.load("", tab("tab-1"))
        list(ui.respond(BUY, [], tab("tab-1")))
        list(ui.respond("/buy 1 AAPL limit 1000", [], tab("tab-1")))
        kept, dropped = [t["id"] for t in ui.endpoints.tickets(tab("tab-1"))]
        ui.ticket_decision(tab("tab-1"), "reject", dropped)
        ui.close()

    with local_stack(tmp_path) as stack:  # restarted: new services, desks, app, over the same files
        ui = app_over(stack)
        _, history, *_ = ui.workspace_panel.load(key, tab("tab-2"))  # the browser brings its workspace key back
        assert set(ticket_cards(history)) == {kept, dropped}
        assert "**Rejected**: nothing was sent" in ticket_cards(history)[dropped]  # the card says what happened
        assert options_of(history) == [f"ticket:confirm {kept}", f"ticket:reject {kept}"]  # live only for the one
        assert [t["id"] for t in ui.endpoints.tickets(tab("tab-2"))] == [kept]

        ui.workspace_panel.load(key, tab("tab-3"))  # a second tab of the same workspace
        start, answers = threading.Barrier(2), {}

        def confirm(name):
            start.wait()
            answers[name] = ui.endpoints.confirm_ticket(kept, tab(name))

        threads = [threading.Thread(target=confirm, args=(name,)) for name in ("tab-2", "tab-3")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        titles = sorted(str(m["metadata"].get("title")) for reply in answers.values() for m in reply[:1])
        assert titles[0] == "None" and titles[1] in (f"Ticket {kept}: filled", f"Ticket {kept}: order placed"), answers
        ui.close()

    with local_stack(tmp_path) as stack:
        ui = app_over(stack)
        request = tab("tab-4")
        _, history, *_ = ui.workspace_panel.load(key, request)
        assert options_of(history) == []  # every ticket is decided: no live buttons
        card = ticket_cards(history)[kept]
        assert ("Filled at $" in card or "Order placed" in card) and "expires" not in card  # no stale countdown
        [again] = ui.endpoints.confirm_ticket(kept, request)
        assert "already confirmed; no second order" in again["content"]
        exported = ui.workspace_panel.export(ui.session_for(request))
        assert {t["id"]: t["status"] for t in exported["tickets"]} == {kept: "executed", dropped: "rejected"}
        assert [p["qty"] for p in exported["paper_account"]["positions"]] == [2]

        workspace_id = ui.session_for(request).workspace_id
        ledger = sqlite3.connect(stack.settings.paper_ledger_path)
        assert ledger.execute("SELECT COUNT(*) FROM tickets WHERE workspace = ?", (workspace_id,)).fetchone() == (2,)
        assert ui.endpoints.delete_workspace("DELETE", request) == "Your workspace was deleted."
        assert ledger.execute("SELECT COUNT(*) FROM tickets WHERE workspace = ?", (workspace_id,)).fetchone() == (0,)
        ui.close()


def test_another_tabs_panel_shows_a_decision_at_its_next_poll(tmp_path):
    """Issue 23: "Panels refresh after any decision, in every tab of the workspace": the second tab's timer brings
    the new position into its account summary, and re-reads the account only when a ticket changed."""
    with local_stack(tmp_path) as stack:
        ui = app_over(stack)
        try:
            key, *_ = ui.workspace_panel.load("", tab("tab-1"))
            ui.workspace_panel.load(key, tab("tab-2"))  # the same workspace in a second tab
            _, _, summary, seen = ui.poll_tickets(None, "", tab("tab-2"))
            assert "No open positions." in summary
            assert not isinstance(ui.poll_tickets(None, seen, tab("tab-2"))[2], str)  # nothing changed: skipped

            list(ui.respond(BUY, [], tab("tab-1")))
            [ticket] = [t["id"] for t in ui.endpoints.tickets(tab("tab-1"))]
            dropdown, section, summary, newer = ui.poll_tickets(None, seen, tab("tab-2"))
            assert newer != seen and "1 ticket(s) awaiting you" in summary and section["visible"] is True
            ui.endpoints.confirm_ticket(ticket, tab("tab-1"))  # decided in the first tab

            dropdown, section, summary, latest = ui.poll_tickets(ticket, newer, tab("tab-2"))
            assert latest != newer and "- AAPL: 2 ×" in summary and "awaiting you" not in summary
            assert section["visible"] is False and dropdown["choices"] == []  # nothing left to offer
        finally:
            ui.close()


def test_conversation_times_use_the_zone_the_browser_sent(tmp_path):
    """The conversation list's short times are made on the server: in the browser's zone when it sent a known one,
    else in UTC and saying so; a made-up zone name is ignored."""
    from ui.workspace_panel import known_zone

    assert known_zone("Asia/Tokyo") == "Asia/Tokyo"
    assert known_zone("Mars/Olympus") is None and known_zone("../../etc/passwd") is None and known_zone("") is None
    with local_stack(tmp_path) as stack:
        ui = app_over(stack)
        try:
            key, *_ = ui.workspace_panel.load("", tab("tab-1"), "Asia/Tokyo")
            list(ui.respond("/help", [], tab("tab-1")))
            [(label, _)] = ui.workspace_panel.conversation_choices(ui.session_for(tab("tab-1")))
            now = datetime.now(UTC)
            tokyo = [(now - timedelta(minutes=m)).astimezone(ZoneInfo("Asia/Tokyo")) for m in (0, 1)]
            assert any(label.endswith(f"· {t:%H:%M}") for t in tokyo), label
            ui.workspace_panel.load(key, tab("tab-2"), "Mars/Olympus")
            [(label, _)] = ui.workspace_panel.conversation_choices(ui.session_for(tab("tab-2")))
            assert label.endswith(" UTC"), label
        finally:
            ui.close()
