"""Puts the MCP server, the runs API and /metrics on Gradio's FastAPI app.

`demo.launch(app_kwargs=integrations.app_kwargs())` hands Gradio our routes (FastAPI's `routes=`,
matched before Gradio's own) and a lifespan (the MCP session manager's task group must run in
the server's event loop). Used by `SmolTraderApp.launch()`, so `python app.py` and the tests'
`running_app` serve the same thing.
"""

from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from api.analysis import Analysis
from api.clients import open_workspace, session_for_workspace
from api.limits import RateLimiter

RUNS_DB = "runs.sqlite3"


class Integrations:
    """The non-browser entry points of one app: built once per launch, closed with the app."""

    def __init__(self, ui: Any):
        self.ui = ui
        settings = ui.settings
        self.metrics = getattr(ui.services, "metrics", None)
        self.limiter = RateLimiter(settings.api_rate_per_minute, on_refusal=self._count_refusal)
        if self.metrics is not None:
            self.metrics.active_sessions.set_function(lambda: len(ui.sessions))
        self.mcp = None
        if settings.mcp_enabled:
            from api.mcp_server import build_mcp

            counter = self.metrics.count_tool if self.metrics is not None else None
            self.mcp = build_mcp(Analysis(ui.services.market, counter), self.limiter.check)
        from agents.runs import RunRegistry, RunStore

        self.runs = RunRegistry(ui.chat, RunStore(Path(settings.data_dir) / RUNS_DB, settings.runs_keep),
                                lambda workspace_id: session_for_workspace(ui, workspace_id),
                                max_queued=settings.runs_max_queued, max_running=settings.concurrency_limit)

    def routes(self) -> list:
        from api.runs_routes import runs_router

        routes: list = list(runs_router(self.runs, self.ui.settings,
                                        lambda key: open_workspace(self.ui.workspace_ui.workspaces, key),
                                        self.limiter.check).routes)
        if self.metrics is not None:
            from api.metrics_route import metrics_route

            routes.append(metrics_route(self.metrics, self.ui.settings))
        if self.mcp is not None:
            from api.mcp_server import mcp_routes

            routes += mcp_routes(self.mcp, self.ui.settings)
        return routes

    def _count_refusal(self, client: str) -> None:
        if self.metrics is not None:
            self.metrics.budget_refusals.labels(scope="api_rate").inc()

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
        self.runs.close()
