"""The side panel's notification badge without a browser (the panel's own poll and open handlers): it counts the
workspace's unread notifications, the same in every tab, and drops to zero once they are listed with
`/notifications` or opened in the panel; toasts alone do not read them. And a fired alert moves the
`smol_trader_alerts_fired_total` metric."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from alerts.service import AlertService
from chat.commands import CommandContext, dispatch
from chat.session import Session
from tests.harness import local_stack
from ui.alerts_panel import AlertsPanel

MONDAY_OPEN = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Alert A-:UserWarning")]  # toasts outside a page


@pytest.fixture
def stack_env():
    return {"QUOTE_TTL_S": 0}  # every poll fetches (the `stack` fixture is in conftest.py)


def badge_count(badge: str) -> int:
    return int(re.search(r"data-count='(\d+)'", badge).group(1))


def test_the_badge_shows_unread_notifications_until_they_are_listed_or_opened(stack, monkeypatch):
    service = AlertService.from_settings(stack.settings, stack.runtime.market, clock=lambda: MONDAY_OPEN,
                                         max_workers=2)
    runtime = dataclasses.replace(stack.runtime, alerts=service)  # the runtime /notifications reads
    panel = AlertsPanel(lambda: service, lambda request: "ws")
    cursor, badge, *_ = panel.poll(None, None)
    assert badge_count(badge) == 0 and "no unread notifications" in badge

    service.add_alert("ws", ["AAPL", "above", "100"])
    service.add_alert("ws", ["AMZN", "above", "1"])
    service.add_alert("elsewhere", ["AAPL", "above", "100"])
    assert len(service.check().fired) == 3
    import gradio as gr

    toasts = []  # what Gradio would show in the page: info toasts titled by the alert
    monkeypatch.setattr(gr, "Info", lambda message, duration=None, title="": toasts.append((title, message)))
    cursor, badge, _watch, _proposals, alerts, _group = panel.poll(cursor, None)
    assert len(toasts) == 2 and all(title.startswith("Alert A-") for title, _ in toasts), toasts
    assert "last price" in toasts[0][1] and toasts[0][1].startswith(toasts[0][0])  # the toast names its alert
    assert "AAPL above" in alerts and "AMZN above" in alerts and "fired 1×" in alerts  # the alerts the person set
    assert badge_count(badge) == 2 and "2</b> unread notifications" in badge
    assert badge_count(panel.poll(cursor, None)[1]) == 2  # shown as toasts is not read
    assert badge_count(panel.poll(0, None)[1]) == 2  # another tab of the workspace shows the same count

    session = Session(id="tab-ws", workspace="ws")
    [listed] = dispatch("/notifications", CommandContext(session=session, runtime=runtime))
    assert "AMZN above 1.00" in str(listed.content)
    assert badge_count(panel.poll(cursor, None)[1]) == 0  # listed: read
    other = AlertsPanel(lambda: service, lambda request: "elsewhere")
    assert badge_count(other.poll(None, None)[1]) == 1  # another workspace keeps its own

    stack.yahoo.set_quote("AAPL", 90.0)
    service.check(MONDAY_OPEN.replace(minute=1))  # AAPL falls below 100: the rules re-arm
    stack.yahoo.set_quote("AAPL", 110.0)
    assert len(service.check(MONDAY_OPEN.replace(minute=2)).fired) == 2  # crossed again (both workspaces)
    assert badge_count(panel.poll(cursor, None)[1]) == 1
    listing, badge = panel.open_clicked()
    assert badge_count(badge) == 0 and listing.count("<li") == 3 and "AAPL above 100.00" in listing
    assert badge_count(panel.poll(cursor, None)[1]) == 0
    service.close()


def test_a_fired_alert_moves_the_alerts_fired_metric(stack):
    service = stack.runtime.alerts  # the app's own service: it counts into the app's metrics

    def fired(kind: str) -> float:
        samples = {(s.name, s.labels.get("kind")): s.value
                   for family in text_string_to_metric_families(stack.runtime.metrics.exposition().decode())
                   for s in family.samples}
        return samples.get(("smol_trader_alerts_fired_total", kind), 0.0)

    service.add_alert("ws", ["AAPL", "above", "100"])
    service.add_alert("ws", ["AAPL", "move", "1"])
    service.add_alert("ws", ["AAPL", "above", "1000"])  # does not fire
    assert fired("price") == 0.0
    assert len(service.check(MONDAY_OPEN).fired) == 2
    assert (fired("price"), fired("move")) == (1.0, 1.0)
    assert service.check(MONDAY_OPEN).fired == [] and fired("price") == 1.0  # once per crossing
    service.close()


def test_many_open_tabs_share_one_quote_refresh_per_symbol(tmp_path):
    """Every tab's panel polls every few seconds; the watchlist reads the shared market cache, so Yahoo sees one
    request per symbol and kind (quote, 3-month history) per TTL however many tabs and workspaces watch it."""
    with local_stack(tmp_path, QUOTE_TTL_S=60, DATA_DIR=tmp_path / "data") as stack:
        service = stack.runtime.alerts
        for workspace in ("ws-a", "ws-b", "ws-c"):
            service.watch(workspace, ["AAPL", "GOOG"])
        stack.yahoo.hits.clear()
        tabs = [AlertsPanel(lambda: service, lambda request, w=w: w) for w in ("ws-a", "ws-b", "ws-c") * 4]
        for _ in range(3):  # three polling rounds of twelve tabs
            for tab in tabs:
                watchlist = tab.poll(None, None)[2]
                assert "AAPL" in watchlist and "GOOG" in watchlist
        hits = dict(stack.yahoo.hits)
        assert set(hits) == {"/v8/finance/chart/AAPL", "/v8/finance/chart/GOOG"}, hits
        assert all(n <= 2 for n in hits.values()), hits  # 36 polls per symbol, at most 2 fetches each


@pytest.mark.sqlite_only  # reads the app's SQLite files
def test_a_poll_racing_the_page_load_never_binds_the_tab_to_a_new_workspace(tmp_path):
    """The panel's first poll runs with the page's load; it must not open a workspace of its own (it used to, and a
    reloaded tab could then show an empty conversation)."""
    import sqlite3
    from types import SimpleNamespace

    import app

    with local_stack(tmp_path, DATA_DIR=tmp_path / "data") as stack:
        ui = app.SmolTraderApp(stack.settings, stack.runtime, model_factory=None)
        ui.build()
        request = SimpleNamespace(session_hash="tab-1", username=None, headers={}, client=None)
        workspaces = sqlite3.connect(tmp_path / "data" / "workspaces.sqlite3")
        count = workspaces.execute("SELECT COUNT(*) FROM workspaces").fetchone()[0]
        polled = ui.alerts_panel.poll(None, None, request)
        assert polled[0] is None  # nothing shown yet: the cursor waits for the bound workspace
        assert ui.chat.sessions.get("tab-1", None).workspace is None
        assert workspaces.execute("SELECT COUNT(*) FROM workspaces").fetchone()[0] == count
        ui.close()
