"""Process-wide services shared by every session: settings and caches of public data.

Built once by `build_services()` when the app is created (never at import).
Only public market data is shared between sessions; everything personal lives
in `Session`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.settings import Settings
from trading.workspace_desks import WorkspaceDesks


@dataclass
class Services:
    settings: Settings
    market: Any = None  # market.client.MarketData: the shared, cached market-data client
    tracing: Any = None  # telemetry.Tracing, or None when nothing is configured
    metrics: Any = None  # telemetry.metrics.Metrics: this app's Prometheus metrics
    alerts: Any = None  # alerts.service.AlertService, made on first use (alerts.service.alert_service_for)
    alert_briefs: Any = None  # alerts.briefs desk, made when the alert scheduler starts
    desks: WorkspaceDesks = field(default_factory=WorkspaceDesks)  # one trading desk per workspace (trading.desk)
    workspaces: Any = None  # workspace.store.WorkspaceStore, set by ui.workspace_panel; rows are per workspace, a
    #                         command reads only its session's (session.workspace)


def build_services(settings: Settings) -> Services:
    from agents import compat
    from market.chain import market_from_settings
    from telemetry import Tracing
    from telemetry.metrics import Metrics

    compat.install()
    metrics = Metrics()
    market = market_from_settings(settings)
    market.metrics = metrics
    return Services(settings=settings, market=market, tracing=Tracing.from_settings(settings), metrics=metrics)
