"""Alerts against the Yahoo replay with moving prices and an injected clock: once per crossing, only while the
exchange is open (not on Thanksgiving, not on a weekend), no second firing after a restart; briefs at their time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.scheduler import AlertScheduler, BriefDesk
from alerts.service import AlertService

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

MONDAY_OPEN = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in New York
THANKSGIVING = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def stack_env():
    return {"QUOTE_TTL_S": 0}  # every check fetches (the `stack` fixture is in conftest.py)


def build(stack, clock) -> AlertScheduler:
    service = AlertService.from_settings(stack.settings, stack.runtime.market, clock=clock, max_workers=2)
    return AlertScheduler(service, BriefDesk(service), interval_s=stack.settings.alert_check_seconds)


def titles(scheduler, workspace):
    return [n.title for n in scheduler.service.notifications(workspace) if n.kind == "alert"]


def test_an_alert_fires_once_per_crossing_only_while_open_and_not_again_after_a_restart(stack):
    clock = Clock(MONDAY_OPEN)
    first = build(stack, clock)
    alice, bob = "ws-alice", "ws-bob"
    alert = first.service.add_alert(alice, ["AAPL", "above", "250"])
    first.service.add_alert(bob, ["AAPL", "below", "200"])
    stack.yahoo.set_quote("AAPL", 244.6)
    assert first.tick_alerts().fired == []

    stack.yahoo.set_quote("AAPL", 251.0)
    clock.now = THANKSGIVING
    report = first.tick_alerts()
    assert report.skipped == "exchange closed" and titles(first, alice) == []
    clock.now = SATURDAY
    assert first.tick_alerts().skipped == "exchange closed"

    clock.now = MONDAY_OPEN + timedelta(minutes=1)
    assert len(first.tick_alerts().fired) == 1
    assert titles(first, alice) == [f"Alert {alert.id}: AAPL above 250.00"] and titles(first, bob) == []
    [note] = first.service.notifications(alice)
    assert note.data["price"] == 251.0 and note.data["symbol"] == "AAPL" and "nothing was traded" in note.body
    clock.now += timedelta(minutes=1)
    assert first.tick_alerts().fired == []  # still above: once per crossing
    first.service.close()

    restarted = build(stack, clock)  # a new process: everything comes from the database
    clock.now += timedelta(minutes=1)
    assert restarted.tick_alerts().fired == [] and len(titles(restarted, alice)) == 1

    stack.yahoo.set_quote("AAPL", 240.0)  # back below: re-armed
    clock.now += timedelta(minutes=1)
    assert restarted.tick_alerts().fired == []
    stack.yahoo.set_quote("AAPL", 255.0)
    clock.now += timedelta(minutes=1)
    assert len(restarted.tick_alerts().fired) == 1 and len(titles(restarted, alice)) == 2
    assert restarted.service.store.alert(alice, alert.id).fired_count == 2
    assert restarted.service.notifications(bob) == []  # another workspace sees none of it
    restarted.service.close()


def test_pending_and_deleted_alerts_are_never_checked_and_a_bad_symbol_breaks_nothing(stack):
    from alerts.rules import AlertInputError, parse_rule

    clock = Clock(MONDAY_OPEN)
    scheduler = build(stack, clock)
    service = scheduler.service
    proposed = service.propose_alert("ws", parse_rule(["AAPL", "above", "1"]), "the trader thinks so")
    deleted = service.add_alert("ws", ["AAPL", "above", "2"])
    service.delete_alert("ws", deleted.id)
    with pytest.raises(AlertInputError, match="NOSUCHSYMBOL"):
        service.add_alert("ws", ["NOSUCHSYMBOL", "above", "1"])  # refused up front …
    service.store.add_alert("ws", parse_rule(["NOSUCHSYMBOL", "above", "1"]), status="active", source="person",
                            note="", now=clock.now)  # … but one delisted later must not break the check
    kept = service.add_alert("ws", ["AMZN", "above", "1"])
    report = scheduler.tick_alerts()
    assert report.rules == 2  # the proposal and the deleted alert are not among the checked rules
    assert "NOSUCHSYMBOL" in report.failures and len(report.fired) == 1
    assert titles(scheduler, "ws") == [f"Alert {kept.id}: AMZN above 1.00"]
    asked = stack.yahoo.hit_count("/v10/finance/quoteSummary/NOSUCHSYMBOL")
    assert asked >= 1
    assert "NOSUCHSYMBOL" in scheduler.tick_alerts().failures  # still reported, not asked for again
    assert stack.yahoo.hit_count("/v10/finance/quoteSummary/NOSUCHSYMBOL") == asked
    service.confirm_alert("ws", proposed.id)
    clock.now += timedelta(minutes=1)
    assert len(scheduler.tick_alerts().fired) == 1
    assert service.store.alert("ws", proposed.id).status == "active"
    assert titles(scheduler, "ws")[0] == f"Alert {proposed.id}: AAPL above 1.00"
    assert service.store.alert("ws", deleted.id) is None
    service.close()


def test_a_daily_brief_is_produced_at_its_time_once_with_and_without_a_commentary(stack):
    clock = Clock(datetime(2026, 11, 23, 13, 0, tzinfo=UTC))  # 08:00 in New York
    scheduler = build(stack, clock)
    service = scheduler.service
    service.watch("ws", ["AAPL", "GOOG"])
    brief = scheduler.briefs.add("ws", ["daily", "08:30"])
    assert scheduler.tick_briefs() == []
    clock.now = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)  # 08:30 New York
    [produced] = scheduler.tick_briefs()
    assert scheduler.tick_briefs() == []  # once per slot
    note = service.store.notification(produced)
    assert note.kind == "brief" and "**AAPL**" in note.body and "RSI(14)" in note.body and "SMA(50)" in note.body
    assert "untrusted" in note.body and not note.data["commentary"]
    service.close()

    restarted = build(stack, clock)  # a restart right after: no second brief for the same slot
    restarted.briefs.commentary = lambda workspace, text: "AAPL leads the watchlist today."
    assert restarted.tick_briefs() == []
    clock.now = datetime(2026, 11, 26, 13, 31, tzinfo=UTC)  # Thanksgiving: no daily brief
    assert restarted.tick_briefs() == []
    clock.now = datetime(2026, 11, 27, 13, 31, tzinfo=UTC)
    [second] = restarted.tick_briefs()
    body = restarted.service.store.notification(second).body
    assert "**Commentary**" in body and "AAPL leads" in body
    assert restarted.service.store.briefs("ws")[0].id == brief.id
    restarted.service.close()


def test_the_scheduler_runs_its_jobs_in_the_background(stack):
    scheduler = build(stack, Clock(MONDAY_OPEN))
    scheduler.start()
    try:
        assert scheduler.running and sorted(scheduler.jobs()) == ["alerts", "briefs"]
    finally:
        scheduler.stop()
        scheduler.service.close()
    assert not scheduler.running
