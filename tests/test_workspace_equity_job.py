"""Daily equity snapshots without anyone looking: the after-close job (injected clock, the real NYSE calendar), and
analytics that don't take a return across a gap of several sessions for a daily one."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from app import SmolTraderApp
from chat.session import Session
from standins.scripted_model import ScriptedModel
from tests.harness import local_stack, run_turn
from trading.analytics import portfolio_analytics
from trading.portfolio_analytics import record_closing_equity

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop


def team():
    return {"manager": ScriptedModel(), "web_agent": ScriptedModel(), "trader": ScriptedModel()}


def figures(analytics) -> dict:
    return {f.name: f for f in analytics.figures}


def test_the_job_records_each_workspace_once_per_session_after_the_close(tmp_path):
    with local_stack(tmp_path) as stack:
        app = SmolTraderApp(stack.settings, stack.runtime, model_factory=team)
        try:
            store = stack.runtime.workspaces.store
            session = Session(id="tab")
            app.binding.bind(session, None)
            [card] = run_turn(app.chat, session, "/buy 2 AAPL limit 1000")[-1]  # marketable limit: fills any hour
            assert "Filled" in run_turn(app.chat, session, f"/confirm {card.extra['ticket']['id']}")[-1][0].content
            workspace = session.workspace
            # a fill records the day's equity at once, so a workspace that only trades (no panel, API only) has a
            # curve the job keeps going; that snapshot is of today's real date, later than the days below
            [(today, equity_then, _, _)] = store.equity_history(workspace)
            assert today >= "2026-12-01" and equity_then == pytest.approx(100_000.0, abs=1.0)
            # the account was looked at once, on Thursday (its curve starts there)
            store.record_equity(workspace, "2026-11-19", 100_000.0, 100_000.0, "2026-11-19T15:00:00+00:00")
            never_looked = Session(id="other")
            app.binding.bind(never_looked, None)  # a workspace with no equity history: nothing to record

            def run(moment):
                return record_closing_equity(stack.runtime.desks, store, now=moment)

            assert run(datetime(2026, 11, 20, 20, 59, tzinfo=UTC)) == []  # Friday 15:59 in New York: still open
            assert run(datetime(2026, 11, 20, 21, 30, tzinfo=UTC)) == [workspace]  # after the 16:00 close
            assert run(datetime(2026, 11, 20, 23, 0, tzinfo=UTC)) == []  # once per session (also after a restart)
            assert run(datetime(2026, 11, 21, 22, 0, tzinfo=UTC)) == []  # Saturday
            assert run(datetime(2026, 11, 26, 22, 0, tzinfo=UTC)) == []  # Thanksgiving
            assert run(datetime(2026, 11, 27, 18, 5, tzinfo=UTC)) == [workspace]  # 13:05, after the early close
            # a look during Monday's session is replaced by the closing snapshot
            store.record_equity(workspace, "2026-11-30", 1.0, 1.0, "2026-11-30T15:00:00+00:00")
            assert run(datetime(2026, 11, 30, 21, 15, tzinfo=UTC)) == [workspace]

            history = [row for row in store.equity_history(workspace) if row[0] <= "2026-11-30"]
            assert [row[0] for row in history] == ["2026-11-19", "2026-11-20", "2026-11-27", "2026-11-30"]
            equity = stack.runtime.desks.for_workspace(session.workspace_id, session.user).broker.account().equity
            assert history[-1][1] == pytest.approx(equity) and history[-1][3] == "2026-11-30T21:15:00+00:00"
            assert store.equity_history(never_looked.workspace) == []

            app.start()  # the app schedules the job on its background scheduler
            assert "equity" in app.runtime.scheduler.jobs()
        finally:
            app.close()


def test_returns_across_a_gap_are_not_daily_returns():
    # Mon-Wed, then nothing until the next Monday (a 3-session gap), then Tue, Wed, Fri (Thanksgiving between)
    days = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27"]
    index = [500.0, 505.0, 500.0, 480.0, 490.0, 485.0, 495.0]
    index_returns = np.diff(index) / index[:-1]
    equity = [100_000.0]
    for i, r in enumerate(index_returns):
        equity.append(equity[-1] * (1 + (0.5 if i == 2 else 2 * r)))  # a +50% jump over the gap
    result = figures(portfolio_analytics(list(zip(days, equity)), list(zip(days, index)), {}, "now"))

    daily = np.array([equity[i + 1] / equity[i] - 1 for i in (0, 1, 3, 4, 5)])  # the gap's return left out
    vol = result["Volatility (annualized)"]
    assert vol.value == pytest.approx(100 * daily.std(ddof=1) * np.sqrt(252), abs=1e-4)
    assert "5 daily returns; 1 return across a gap (not one trading session apart) left out" in vol.period
    assert result["Beta vs SPY"].value == pytest.approx(2.0, abs=1e-4)  # the gap would have wrecked it
    assert result["Return"].value == pytest.approx(100 * (equity[-1] / equity[0] - 1), abs=1e-4)  # levels keep the gap
    assert "needs 20 daily returns, have 5 (1 across gaps left out)" in result["95% one-day VaR (historical)"].period


def test_a_weekend_look_is_not_a_daily_return():
    # Friday, Saturday (someone looked at the account), Monday: Fri -> Sat spans no session
    equity = [("2026-11-20", 100.0), ("2026-11-21", 100.0), ("2026-11-23", 101.0), ("2026-11-24", 103.0)]
    vol = figures(portfolio_analytics(equity, [], {}, "now"))["Volatility (annualized)"]
    expected = np.array([0.01, 103 / 101 - 1])
    assert vol.value == pytest.approx(100 * expected.std(ddof=1) * np.sqrt(252), abs=1e-4)
    assert "2 daily returns; 1 return across a gap" in vol.period


def test_a_background_job_borrows_a_desk_and_keeps_none_open(tmp_path):
    """The daily job visits every workspace: it uses the desk a tab already has open, else one it closes after."""
    with local_stack(tmp_path) as stack:
        with stack.runtime.desks.borrowed("ws_nobody_open", None) as desk:
            assert desk.broker.account().equity > 0
        assert stack.runtime.desks._desks == {}  # nothing kept for a workspace no tab has open
        session = Session(id="tab", workspace="ws_open")
        shared = stack.runtime.desks.for_workspace(session.workspace_id, session.user)
        with stack.runtime.desks.borrowed("ws_open", None) as desk:
            assert desk is shared
        assert shared.broker.account() is not None  # still open for its tab
