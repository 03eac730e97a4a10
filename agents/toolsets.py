"""Which tools each member gets; the one place the domain packages plug into the team."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agents.services import Services
from agents.session import Session


@dataclass(frozen=True)
class Shows:
    """How tools show the person something in the running turn: a chart (figure, title) or a ticket card."""

    figure: Callable[..., None] | None = None
    ticket: Callable[[Any], None] | None = None


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


def trader_toolset(services: Services, session: Session, shows: Shows = Shows()) -> list:
    """Market data, indicators and charts (shared cache); this session's trading desk and strategy lab."""
    from alerts.service import alert_service_for
    from backtest.lab import lab_for
    from tools.alerts import alert_tools
    from tools.analysis import analysis_tools
    from tools.backtest import backtest_tools
    from tools.forecast import forecast_tools
    from tools.market import market_tools
    from tools.trading import trading_tools
    from trading.desk import desk_for

    market = services.market

    def history_of(symbol: str, period: str = "5y", interval: str = "1d"):
        return market.history(symbol, period=period, interval=interval)

    return [
        *market_tools(market, shows.figure),
        *trading_tools(desk_for(session, services), shows.ticket),
        *backtest_tools(history_of, lab_for(session, getattr(services, "workspaces", None)), shows.figure),
        *forecast_tools(market, shows.figure),
        *analysis_tools(market, services.settings, desk_for(session, services), shows.figure),
        *alert_tools(lambda: alert_service_for(services), lambda: session.workspace_id),
    ]
