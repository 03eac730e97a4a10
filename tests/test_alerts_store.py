"""The alerts database: migrations at open, settings for the scheduler and caps, and the real background
scheduler firing an alert on its own."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

import pytest

from alerts.rules import parse_rule
from alerts.store import AlertStore
from core.db import head_revision
from core.settings import SettingsError
from tests.harness import local_stack, settings_for


def test_an_empty_or_current_database_is_migrated_once(tmp_path):
    path = tmp_path / "alerts.sqlite3"
    sqlite3.connect(path).close()  # version 0: an empty file
    store = AlertStore(path)
    assert store.schema_version == head_revision()
    assert store.query("PRAGMA journal_mode")[0][0] == "wal"
    now = datetime(2026, 11, 23, tzinfo=UTC)
    store.add_alert("ws", parse_rule(["AAPL", "above", "1"]), status="active", source="person", note="", now=now)
    store.close()
    again = AlertStore(path)  # reopening applies nothing and keeps the data
    assert again.schema_version == head_revision() and len(again.alerts("ws")) == 1
    again.close()


def test_settings_defaults_and_bad_values():
    settings = settings_for()
    assert (settings.alert_check_seconds, settings.watchlist_max_symbols, settings.alerts_max_per_workspace,
            settings.briefs_max_per_workspace) == (60.0, 50, 100, 3)
    assert settings_for(ALERT_CHECK_SECONDS=30).alert_check_seconds == 30.0
    with pytest.raises(SettingsError, match="ALERT_CHECK_SECONDS"):
        settings_for(ALERT_CHECK_SECONDS=1)
    with pytest.raises(SettingsError, match="WATCHLIST_MAX_SYMBOLS"):
        settings_for(WATCHLIST_MAX_SYMBOLS="many")


def test_the_background_scheduler_fires_an_alert_by_itself(tmp_path):
    from alerts.scheduler import AlertScheduler, BriefDesk
    from alerts.service import AlertService

    open_monday = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    with local_stack(tmp_path, QUOTE_TTL_S=0, DATA_DIR=tmp_path / "data") as stack:
        service = AlertService.from_settings(stack.settings, stack.runtime.market, clock=lambda: open_monday)
        scheduler = AlertScheduler(service, BriefDesk(service), interval_s=0.2)
        alert = service.add_alert("ws", ["AAPL", "above", "250"])
        scheduler.start()
        try:
            stack.yahoo.set_quote("AAPL", 252.0)
            deadline = time.monotonic() + 20
            while not service.notifications("ws") and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.6)  # a few more checks: still one notification
        finally:
            scheduler.stop()
        assert [n.title for n in service.notifications("ws")] == [f"Alert {alert.id}: AAPL above 250.00"]
        service.close()
