"""The workspace API through gradio_client against the live app: export without secrets, delete with confirmation."""

from __future__ import annotations

import json
import sqlite3

import pytest
from gradio_client import Client

from standins.live_app import running_app
from standins.scripted_model import ScriptedModel

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

SECRET = "hf_workspaceTestSecret0123456789"


def team():
    return {"manager": ScriptedModel(), "web_agent": ScriptedModel(), "trader": ScriptedModel()}


def client(url: str, key: str | None = None) -> Client:
    return Client(url, verbose=False, analytics_enabled=False, download_files=False,
                  headers={"X-Smol-Workspace": key} if key else None)


@pytest.mark.sqlite_only  # reads the app's SQLite files
def test_export_then_delete_with_confirmation(tmp_path):
    with running_app(tmp_path, team, HF_TOKEN=SECRET) as (url, stack, ui):
        key = client(url).predict(api_name="/workspace")["key"]
        api = client(url, key)
        [card] = api.predict("/buy 2 AAPL limit 1000", api_name="/chat")  # fills at any hour
        done = api.predict(card["extra"]["ticket"]["id"], api_name="/confirm_ticket")
        assert any((m["metadata"].get("title") or "").endswith(": filled") for m in done), done
        api.predict("/watch AAPL", api_name="/chat")
        api.predict("/alert AAPL above 900", api_name="/chat")
        api.predict("/notify webhook https://hooks.example.com/services/T000/B000/tokenpart", api_name="/chat")
        exported = api.predict(api_name="/export_workspace")
        text = json.dumps(exported)
        assert SECRET not in text and key not in text
        assert exported["paper_account"]["positions"][0]["qty"] == 2
        assert exported["tickets"][0]["status"] == "executed"
        watch = exported["watch_and_alerts"]
        assert watch["watchlist"] == ["AAPL"] and watch["alerts"][0]["rule"] == "AAPL above 900.00"
        assert watch["webhook_host"] == "hooks.example.com"  # not the URL, which may carry a token
        assert [m["role"] for m in exported["conversations"][0]["messages"]][0] == "user"
        analytics = api.predict(api_name="/portfolio_analytics")
        names = {f["name"]: f for f in analytics["figures"]}
        assert names["Concentration: largest position AAPL"]["value"] == 100.0
        assert names["Return"]["value"] is None and "daily returns" in names["Return"]["period"]  # one day so far

        with pytest.raises(Exception, match="Nothing was deleted"):
            api.predict("yes", api_name="/delete_workspace")
        assert api.predict("DELETE", api_name="/delete_workspace") == "Your workspace was deleted."
        with pytest.raises(Exception, match="not valid"):
            client(url, key).predict(api_name="/workspace")
        ledger = sqlite3.connect(stack.settings.paper_ledger_path)
        assert ledger.execute("SELECT COUNT(*) FROM fills").fetchone() == (0,)
        db = sqlite3.connect(tmp_path / "data" / "workspaces.sqlite3")
        assert db.execute("SELECT COUNT(*) FROM messages").fetchone() == (0,)
        alerts = sqlite3.connect(tmp_path / "data" / "alerts.sqlite3")
        for table in ("alerts", "watchlist", "webhooks"):
            assert alerts.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table
