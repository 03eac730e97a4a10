"""Which tools each member gets; the one place the domain packages plug into the team."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alerts.service import AlertService
from backtest.lab import StrategyLab
from core.settings import Settings
from market.client import MarketData
from trading.desk import TradingDesk


@dataclass(frozen=True)
class Shows:
    """How tools show the person something in the running turn: a chart (figure, title) or a ticket card."""

    figure: Callable[..., None] | None = None
    ticket: Callable[[Any], None] | None = None


@dataclass(frozen=True)
class TraderKit:
    """What the trader's tools work on: the shared market data, and the desk, lab and alerts of one workspace."""

    settings: Settings
    market: MarketData
    desk: TradingDesk  # the workspace's trading desk (tickets are proposed on it; only the person confirms)
    lab: StrategyLab  # the workspace's saved strategies and backtests
    alerts: AlertService
    workspace_of: Callable[[], str]  # the workspace's id at call time
    metrics: Any = None  # telemetry.metrics.Metrics: tool calls counted (None: not counted)


# the modules whose Tool classes the team's members get (web_agent: tools.web; trader: the rest)
TOOL_MODULES = ("tools.web", "tools.market", "tools.charts", "tools.indicators", "tools.trading", "tools.backtest",
                "tools.forecast", "tools.analysis", "tools.alerts")


def local_tool_names() -> frozenset[str]:
    """The names of our own tools (read from their classes, so nothing is built) and smolagents' `final_answer`:
    a Hub tool may not take one (hub.remote_tools.load_remote_tools)."""
    from smolagents import Tool

    return frozenset({"final_answer"}) | frozenset(
        value.name for module in map(importlib.import_module, TOOL_MODULES) for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Tool) and isinstance(value.__dict__.get("name"), str))


def trader_toolset(kit: TraderKit, shows: Shows = Shows()) -> list:
    """Market data, indicators and charts (shared cache); the workspace's trading desk, strategy lab and alerts."""
    from tools.alerts import alert_tools
    from tools.analysis import analysis_tools
    from tools.backtest import backtest_tools
    from tools.forecast import forecast_tools
    from tools.market import market_tools
    from tools.trading import trading_tools

    market = kit.market

    def history_of(symbol: str, period: str = "5y", interval: str = "1d"):
        return market.history(symbol, period=period, interval=interval)

    return [
        *market_tools(market, shows.figure),
        *trading_tools(kit.desk, shows.ticket),
        *backtest_tools(history_of, kit.lab, shows.figure),
        *forecast_tools(market, shows.figure),
        *analysis_tools(market, kit.settings, kit.desk, shows.figure),
        *alert_tools(lambda: kit.alerts, kit.workspace_of),
    ]
