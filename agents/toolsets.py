"""Which tools each member gets; the one place the domain packages plug into the team."""

from __future__ import annotations

from typing import Any


def trader_toolset(services: Any, session: Any) -> list:
    from tools.market import market_tools

    return [*market_tools(services.market)]
