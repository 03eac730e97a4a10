"""A workspace's performance and risk: today's equity snapshot recorded, then the figures of `trading.analytics`
over the workspace's daily equity curve (SPY as the benchmark).

One path for the side panel (`ui.workspace_panel`), the `/portfolio_analytics` endpoint and the `/portfolio`
command. It takes the desk, the workspace store (`workspace.store.WorkspaceStore`) and the workspace id, and returns
data; `chat.trading_items.analytics_item` turns it into a chat item.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from core.errors import UserError
from trading.analytics import Analytics, portfolio_analytics
from trading.broker import BrokerError
from trading.market_hours import trading_date

BENCHMARK = "SPY"
NO_HISTORY = ("Performance and risk (return vs SPY, volatility, beta, VaR, drawdown, concentration) appears here once "
              "this workspace has an equity history: a snapshot is recorded when the account is looked at, and then "
              "after every New York close.")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkspaceAnalytics:
    analytics: Analytics  # the figures, each with its period, and when they were observed
    days: tuple[str, ...]  # the daily equity snapshots they rest on, oldest first

    @property
    def figures(self):
        return self.analytics.figures

    @property
    def has_history(self) -> bool:
        return bool(self.days)

    def markdown(self) -> str:
        """The figures with their periods and "as of" time, and what they rest on; a short note without history."""
        if not self.days:
            return NO_HISTORY
        count = f"{len(self.days)} daily equity snapshot{'s' if len(self.days) != 1 else ''}"
        span = self.days[0] if len(self.days) == 1 else f"{self.days[0]} → {self.days[-1]}"
        source = f"<sub>From this workspace's {count} ({span}) and {BENCHMARK} daily closes.</sub>"
        return f"{self.analytics.markdown()}\n\n{source}"

    def to_dict(self) -> dict:
        return self.analytics.to_dict()


def equity_now(desk, store, workspace_id: str, now: dt.datetime | None = None):
    """The account as it is now, read only: (account, positions, snapshots of earlier days). Resting paper orders that
    crossed are filled first (the paper ledger fills them when it is looked at). Raises `BrokerError` when the account
    can't be read."""
    desk.broker.sweep()
    account, positions = desk.broker.account(), desk.broker.positions()
    today = trading_date(now or desk.now())
    earlier = [row for row in store.equity_history(workspace_id) if row[0] < today]
    return account, positions, earlier


def record_equity(desk, store, workspace_id: str, now: dt.datetime | None = None):
    """Record today's equity snapshot of the workspace (the true equity curve): after a fill and by the daily
    after-close job, never because somebody looked. Returns what `equity_now` does. `now`: the moment recorded
    (default the desk's clock)."""
    now = now or desk.now()
    account, positions, earlier = equity_now(desk, store, workspace_id, now)
    store.record_equity(workspace_id, trading_date(now), account.equity, account.cash, now.isoformat())
    return account, positions, earlier


def workspace_analytics(desk, store, workspace_id: str, market: Any = None) -> WorkspaceAnalytics:
    """Return vs SPY, volatility, beta, VaR, drawdown, concentration over the workspace's daily equity snapshots, with
    today's equity as it is now as the last point (shown, not stored). `market` is `market.client.MarketData` (None:
    no benchmark)."""
    history = [(day, equity) for day, equity, _, _ in store.equity_history(workspace_id)]
    try:
        account, positions, _ = equity_now(desk, store, workspace_id)
    except BrokerError:
        positions = []
    else:
        if history:  # a workspace with a curve: today's point is the account now (in place of an earlier snapshot)
            today = trading_date(desk.now())
            history = [(day, equity) for day, equity in history if day < today] + [(today, account.equity)]
    benchmark: list[tuple[str, float]] = []
    if history and market is not None:
        try:
            frame = market.history(BENCHMARK, period=None, start=history[0][0])
            benchmark = [(ts.date().isoformat(), float(c)) for ts, c in frame["Close"].items()]
        except (UserError, ValueError, KeyError):
            benchmark = []  # no SPY closes: the figures that need them say so
    weights = {p.symbol: p.market_value for p in positions}
    analytics = portfolio_analytics(history, benchmark, weights, desk.now().isoformat(timespec="minutes"))
    return WorkspaceAnalytics(analytics, tuple(day for day, _ in history))


def record_closing_equity(desks, store, now: dt.datetime | None = None, calendar: Any = None) -> list[str]:
    """The daily job: once the New York session of `now`'s day has closed, record every workspace's equity for that
    day (workspaces with an equity history, which starts at their first fill; one whose snapshot of the day was taken
    after the close is skipped, so running it again, or after a restart, records nothing twice). Weekends and holidays
    record nothing.
    Returns the workspace ids recorded. `calendar`: `market.calendar.ExchangeCalendar` (default NYSE)."""
    from market.calendar import exchange_calendar

    calendar = calendar or exchange_calendar()
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    local = calendar.local(now)
    day = local.date()
    if not calendar.is_session(day):
        return []
    closed_at = calendar.next_close(dt.datetime.combine(day, dt.time(0), tzinfo=local.tzinfo))
    if now < closed_at:
        return []
    recorded = []
    for workspace_id, username, observed_at in store.equity_due(day.isoformat()):
        if observed_at and _aware(dt.datetime.fromisoformat(observed_at)) >= closed_at:
            continue  # already has this day's closing snapshot
        try:
            with desks.borrowed(workspace_id, username) as desk:
                record_equity(desk, store, workspace_id, now=now)
        except (BrokerError, UserError):  # one account that can't be read must not stop the others
            log.warning("daily equity snapshot of %s failed", workspace_id, exc_info=True)
            continue
        recorded.append(workspace_id)
    return recorded


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
