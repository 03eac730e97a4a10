"""Which tools each member gets; the one place the domain packages plug into the team."""

from __future__ import annotations

from typing import Any


def trader_toolset(services: Any, session: Any) -> list:
    """Market data, indicators and charts (shared cache); this session's trading desk and strategy lab."""
    from alerts.service import alert_service_for
    from backtest.lab import lab_for
    from tools.alerts import alert_tools
    from tools.backtest import backtest_tools
    from tools.analysis import analysis_tools
    from tools.forecast import forecast_tools
    from tools.market import market_tools
    from tools.trading import trading_tools
    from trading.desk import desk_for

    market = services.market

    def history_of(symbol: str, period: str = "5y", interval: str = "1d"):
        return market.history(symbol, period=period, interval=interval)

    return [
        *market_tools(market),
        *trading_tools(desk_for(session, services)),
        *backtest_tools(history_of, lab_for(session)),
        *forecast_tools(market),
        *analysis_tools(market, services.settings, desk_for(session, services)),
        *alert_tools(lambda: alert_service_for(services), lambda: session.workspace_id),
    ]
