"""`/portfolio` shows the workspace's performance and risk (the side panel's figures) under the holdings, through the
real app wiring: the workspace layer hands its store to the services, the chat service runs the command."""

from __future__ import annotations

import json

import pytest

from app import SmolTraderApp
from chat.commands import CommandContext, dispatch
from chat.session import Session
from standins.scripted_model import ScriptedModel
from tests.harness import local_stack, run_turn
from trading.portfolio_analytics import NO_HISTORY

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop


def team():
    return {"manager": ScriptedModel(), "web_agent": ScriptedModel(), "trader": ScriptedModel()}


def last(chat, session, text):
    return run_turn(chat, session, text)[-1]


def analytics_of(items):
    [item] = [i for i in items if i.title == "Performance and risk"]
    return item


def test_portfolio_after_a_confirmed_buy_shows_the_panels_figures(tmp_path):
    with local_stack(tmp_path) as stack:
        app = SmolTraderApp(stack.settings, stack.runtime, model_factory=team)
        try:
            assert app.runtime is stack.runtime  # the commands reach the workspaces the app opens
            session = Session(id="tab-1")
            app.binding.bind(session, None)  # a new anonymous workspace, as a first visit gets
            [card] = last(app.chat, session, "/buy 2 AAPL limit 1000")  # marketable limit: fills at any hour
            done = last(app.chat, session, f"/confirm {card.extra['ticket']['id']}")
            assert "Filled" in done[0].content

            items = last(app.chat, session, "/portfolio")
            assert items[0].title == "Holdings" and "AAPL" in items[0].content
            item = analytics_of(items)
            assert item is items[-1] and item.kind == "text"
            text = item.content
            assert "Performance and risk from your account's daily equity** (as of " in text
            assert "- Concentration: largest position AAPL: 100.0% (now, of invested value; HHI 1.00" in text
            assert "- Return: appears after the second trading day (" in text  # one snapshot so far: says when
            assert "n/a" not in text and "0 daily returns" in text
            assert "From this workspace's 1 daily equity snapshot (" in text
            assert "NaN" not in text and "None" not in text

            # the same figures the side panel and /portfolio_analytics show
            panel = app.workspace_panel.analytics(session).to_dict()
            assert item.extra["analytics"]["figures"] == panel["figures"]
            json.dumps([i.to_json() for i in items])  # serialisable for API clients

            # with an earlier day's snapshot, the return over the real curve appears, with its period
            store = stack.runtime.workspaces.store
            store.record_equity(session.workspace, "2025-01-02", 99_000.0, 99_000.0, "2025-01-02T21:00:00+00:00")
            text = analytics_of(last(app.chat, session, "/portfolio")).content
            figures = {f["name"]: f for f in app.workspace_panel.analytics(session).to_dict()["figures"]}
            assert figures["Return"]["value"] is not None and "2025-01-02 → " in figures["Return"]["period"]
            assert f"- Return: {figures['Return']['value']:+.2f}% (2025-01-02 → " in text
            assert "From this workspace's 2 daily equity snapshots (2025-01-02 → " in text
        finally:
            app.close()


def test_portfolio_without_a_workspace_says_analytics_come_with_history(tmp_path):
    with local_stack(tmp_path) as stack:
        assert Session(id="s").workspace is None  # a session no workspace was bound to
        items = dispatch("/portfolio", CommandContext(session=Session(id="s"), runtime=stack.runtime))
        assert items[0].title == "Holdings"
        note = analytics_of(items)
        assert note.kind == "notice" and note.content == NO_HISTORY and "once" in note.content


def test_looking_at_the_account_records_nothing(tmp_path):
    """The side panel's summary, Performance & risk and /portfolio are reads: the equity curve is recorded after a
    fill and by the after-close job, never because somebody (or a polling tab) looked."""
    with local_stack(tmp_path) as stack:
        app = SmolTraderApp(stack.settings, stack.runtime, model_factory=team)
        try:
            session = Session(id="tab-1")
            app.binding.bind(session, None)
            store = stack.runtime.workspaces.store
            assert "Equity" in app.workspace_panel.summary(session)
            assert app.workspace_panel.analytics(session).to_dict()["figures"] is not None
            last(app.chat, session, "/portfolio")
            assert store.equity_history(session.workspace) == []

            [card] = last(app.chat, session, "/buy 2 AAPL limit 1000")
            last(app.chat, session, f"/confirm {card.extra['ticket']['id']}")
            [(day, equity, _cash, observed)] = store.equity_history(session.workspace)  # the fill started the curve
            for _ in range(3):
                app.workspace_panel.summary(session)
                app.workspace_panel.analytics(session)
            assert store.equity_history(session.workspace) == [(day, equity, _cash, observed)]
        finally:
            app.close()
