"""Puts the MCP server, the runs API and /metrics on Gradio's FastAPI app.

`demo.launch(app_kwargs=integrations.app_kwargs())` hands Gradio our routes (FastAPI's `routes=`,
matched before Gradio's own) and a lifespan (the MCP session manager's task group must run in
the server's event loop). Used by `SmolTraderApp.launch()`, so `python app.py` and the tests'
`running_app` serve the same thing.
"""

from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from api.analysis import Analysis
from api.limits import RateLimiter


class Integrations:
    """The non-browser entry points of one app: built once per launch, closed with the app."""

    def __init__(self, ui: Any):
        self.ui = ui
        settings = ui.settings
        self.limiter = RateLimiter(settings.api_rate_per_minute)
        self.mcp = None
        if settings.mcp_enabled:
            from api.mcp_server import build_mcp

            self.mcp = build_mcp(Analysis(ui.services.market), self.limiter.check)

    def routes(self) -> list:
        routes: list = []
        if self.mcp is not None:
            from api.mcp_server import mcp_routes

            routes += mcp_routes(self.mcp)
        return routes

    @asynccontextmanager
    async def lifespan(self, app: Any):
        async with AsyncExitStack() as stack:
            if self.mcp is not None:
                await stack.enter_async_context(self.mcp.session_manager.run())
            yield

    def app_kwargs(self) -> dict:
        """Keyword arguments for FastAPI, passed through `demo.launch(app_kwargs=...)`."""
        return {"routes": self.routes(), "lifespan": self.lifespan}

    def close(self) -> None:
        pass
