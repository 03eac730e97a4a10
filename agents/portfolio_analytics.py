"""A workspace's performance and risk: today's equity snapshot recorded, then the figures of `trading.analytics`
over the workspace's daily equity curve (SPY as the benchmark).

One path for the side panel (`ui.workspace_panel`), the `/portfolio_analytics` endpoint and the `/portfolio`
command. It takes the desk, the workspace store (`workspace.store.WorkspaceStore`) and the workspace id, and returns
data; `agents.trading_items.analytics_item` turns it into a chat item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import UserError
from trading.analytics import Analytics, portfolio_analytics
from trading.broker import BrokerError
from trading.market_hours import trading_date

BENCHMARK = "SPY"
NO_HISTORY = ("Performance and risk (return vs SPY, volatility, beta, VaR, drawdown, concentration) appears here once "
              "this workspace has an equity history: one snapshot is recorded each trading day the account is "
              "looked at.")


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


def record_equity(desk, store, workspace_id: str):
    """Today's equity snapshot of the workspace (the true equity curve); returns (account, positions, earlier
    snapshots). Resting paper orders that crossed are filled first. Raises `BrokerError` when the account can't be
    read."""
    if hasattr(desk.broker, "sweep"):
        desk.broker.sweep()
    account, positions = desk.broker.account(), desk.broker.positions()
    now = desk.now()
    today = trading_date(now)
    earlier = [row for row in store.equity_history(workspace_id) if row[0] < today]
    store.record_equity(workspace_id, today, account.equity, account.cash, now.isoformat())
    return account, positions, earlier


def workspace_analytics(desk, store, workspace_id: str, market: Any = None) -> WorkspaceAnalytics:
    """Return vs SPY, volatility, beta, VaR, drawdown, concentration over the workspace's daily equity (today's
    snapshot is recorded first). `market` is `market.client.MarketData` (None: no benchmark)."""
    try:
        _, positions, _ = record_equity(desk, store, workspace_id)
    except BrokerError:
        positions = []
    history = [(day, equity) for day, equity, _, _ in store.equity_history(workspace_id)]
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
