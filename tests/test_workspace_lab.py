"""The strategy lab belongs to the workspace: results run in one tab are listed in another tab of the same workspace
and after a restart (new app objects over the same DATA_DIR), not in another workspace; the export holds them and
deleting the workspace deletes them. Real app wiring, prices from the local Yahoo replay server."""

from __future__ import annotations

import json

from app import SmolTraderApp
from backtest.lab import lab_for
from backtest.report import entry_markdown
from chat.session import Session
from runtime import build_runtime
from standins.scripted_model import ScriptedModel
from tests.harness import local_stack, run_turn
from workspace.db import Database
from workspace.store import WorkspaceStore

FIRST = "/backtest TSLA sma_cross fast=20 slow=50 10y"
SECOND = "/backtest TSLA rsi low=30 high=70 10y"


def team():
    return {"manager": ScriptedModel(), "web_agent": ScriptedModel(), "trader": ScriptedModel()}


def say(app, session, text):
    return run_turn(app.chat, session, text)[-1]


def tab(app, key=None) -> Session:
    session = Session(id=f"tab-{id(object())}")
    app.binding.bind(session, None, browser_key=key)  # a browser's stored key, or a first visit
    return session


def test_lab_entries_follow_the_workspace_across_tabs_and_a_restart(tmp_path):
    # more than 6 messages of one workspace in a minute, across a restart (which keeps the window on PostgreSQL)
    with local_stack(tmp_path, RATE_LIMIT_TURNS_PER_MINUTE=0) as stack:
        app = SmolTraderApp(stack.settings, stack.runtime, model_factory=team)
        try:
            first = tab(app)
            key, workspace = first.workspace_key, first.workspace
            assert say(app, first, FIRST)[1].title.startswith("#1 TSLA 10y 1d")
            assert say(app, first, SECOND)[1].title.startswith("#2 TSLA 10y 1d")
            trades_then = say(app, first, "/backtest trades 1")[0].content
            assert "| entry | exit |" in trades_then

            second = tab(app, key)  # another tab (or a reload) of the same workspace
            assert second.workspace == workspace and second is not first
            table = say(app, second, "/backtest table")[0].content
            assert "| 1 | TSLA 10y 1d | sma_cross(fast=20,slow=50) |" in table and "| 2 | TSLA 10y 1d | rsi(" in table
            assert say(app, second, "/backtest trades 1")[0].content == trades_then  # the same trade list

            other = tab(app)  # another browser: another workspace
            assert other.workspace != workspace
            assert say(app, other, "/backtest table")[0].content == "No backtests yet in this workspace."

            exported = app.workspace_panel.export(first)
            json.dumps(exported, allow_nan=False)  # plain JSON, no NaN
            lab = exported["strategy_lab"]
            assert [e["number"] for e in lab] == [1, 2] and lab[0]["label"] == "sma_cross(fast=20,slow=50)"
            assert lab[0]["spec"]["params"] == {"fast": 20, "slow": 50} and lab[0]["symbol"] == "TSLA"
            assert lab[0]["trades"] and set(lab[0]["trades"][0]) >= {"entry_time", "exit_price", "return"}
            assert "oos_sharpe" in lab[0]["figures"]
            assert app.workspace_panel.export(other)["strategy_lab"] == []
        finally:
            app.close()
            app.runtime.workspaces.close()

        restarted = SmolTraderApp(stack.settings, build_runtime(stack.settings), model_factory=team)
        try:
            again = tab(restarted, key)
            assert again.workspace == workspace
            table = say(restarted, again, "/backtest table")[0].content
            assert table.count("| TSLA 10y 1d |") == 2
            assert say(restarted, again, "/backtest trades 1")[0].content == trades_then
            # numbering goes on, and the over-fitting alarm still compares with the stored entries
            assert say(restarted, again, FIRST)[1].title.startswith("#3 TSLA 10y 1d")
            stored = lab_for(again, restarted.runtime.workspaces.store)
            assert [e.number for e in stored.entries] == [1, 2, 3]
            shown = entry_markdown(stored.get(1))  # a stored entry (no equity curves) still renders
            assert shown.startswith("**Backtest #1: TSLA 10y 1d — sma_cross(fast=20,slow=50)**")

            restarted.runtime.workspaces.delete(workspace)
            assert restarted.runtime.workspaces.store.lab_entries(workspace) == []
        finally:
            restarted.close()
            restarted.runtime.workspaces.close()


def test_a_session_without_a_workspace_keeps_an_in_memory_lab(tmp_path):
    store = WorkspaceStore(Database(tmp_path / "ws.sqlite3"))
    loose = Session(id="no-workspace")
    assert lab_for(loose, store) is lab_for(loose) and lab_for(loose).store is None


def test_the_store_keeps_the_newest_entries_and_numbers_on(tmp_path):
    store = WorkspaceStore(Database(tmp_path / "ws.sqlite3"))
    workspace, _ = store.new_anonymous()
    numbers = [store.add_lab_entry(workspace, json.dumps({"n": i}), "[]", keep=2) for i in range(4)]
    assert numbers == [1, 2, 3, 4]
    assert [n for n, _ in store.lab_entries(workspace)] == [3, 4]
    assert store.lab_entry(workspace, None)[0] == 4 and store.lab_entry(workspace, 1) is None
    store.delete_workspace(workspace)
    assert store.lab_entries(workspace) == []
