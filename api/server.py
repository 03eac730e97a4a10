"""Puts the MCP server, the runs API and /metrics on Gradio's FastAPI app.

`demo.launch(app_kwargs=integrations.app_kwargs())` hands Gradio our routes (FastAPI's `routes=`,
matched before Gradio's own) and a lifespan (the MCP session manager's task group must run in
the server's event loop). Used by `SmolTraderApp.launch()`, so `python app.py` and the tests'
`running_app` serve the same thing.

Limits: MCP tool calls and runs count against the chat's own `Quota` (`runtime.quota`, one per
app), per visitor as the chat names one, so a visitor's messages a minute are shared by the browser, `/chat`,
`/api/runs` and MCP. An MCP tool call counts like a slash command (a message, no model tokens); a run is
counted when it runs, as the chat turn it is, and refused at once when its visitor is already over the rate.
"""

from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from api.analysis import Analysis
from api.clients import api_visitor, open_workspace, session_for_workspace
from chat.service import ChatService
from quota import LimitError
from runtime import Runtime


class Integrations:
    """The non-browser entry points of one app: built once per launch, closed with the app."""

    def __init__(self, runtime: Runtime, chat: ChatService):
        self.runtime = runtime
        self.chat = chat
        self.settings = settings = runtime.settings
        self.metrics = runtime.metrics
        self.visitors = chat.visitors  # the chat's limits (chat.visitors.Visitors): one Quota per app
        self.metrics.active_sessions.set_function(lambda: len(chat.sessions) + len(chat.api_sessions))
        self.mcp = None
        if settings.mcp_enabled:
            from api.mcp_server import build_mcp

            self.mcp = build_mcp(Analysis(runtime.market, self.metrics.count_tool), self.admit_mcp_call)
        from chat.runs import RunRegistry

        self.runs = RunRegistry(chat, runtime.runs,
                                lambda workspace_id: session_for_workspace(chat.api_sessions, workspace_id),
                                max_queued=settings.runs_max_queued, max_running=settings.concurrency_limit)

    def routes(self) -> list:
        from api.runs_routes import runs_router

        routes: list = list(runs_router(self.runs, self.settings,
                                        lambda key, client=None: open_workspace(
                                            self.runtime.workspaces, key, client),
                                        self.check_run_rate).routes)
        from api.metrics_route import metrics_route

        routes.append(metrics_route(self.metrics, self.settings))
        if self.mcp is not None:
            from api.mcp_server import mcp_routes

            routes += mcp_routes(self.mcp, self.settings)
        return routes

    def admit_mcp_call(self, request: Any) -> None:
        """Count an MCP tool call as one message of its visitor; `LimitError` (the chat's message) when over."""
        host = getattr(getattr(request, "client", None), "host", None)
        visitor, user = api_visitor(request.headers, host, self.settings,
                                    lambda key: open_workspace(self.runtime.workspaces, key)[0])
        try:
            self.visitors.quota.admit_command(visitor, user)
        except LimitError:
            self._count_refusal("mcp")
            raise

    def check_run_rate(self, workspace_id: str) -> None:
        """Refuse a new run at once when the visitor it will run as (its workspace's API session) is over the rate;
        the run's message is counted when it runs, by the chat."""
        session = session_for_workspace(self.chat.api_sessions, workspace_id)
        try:
            self.visitors.quota.check_rate(self.visitors.key(session), session.user)
        except LimitError:
            self._count_refusal("runs")
            raise

    def _count_refusal(self, scope: str) -> None:
        if self.metrics is not None:
            self.metrics.budget_refusals.labels(scope=scope).inc()

    @asynccontextmanager
    async def lifespan(self, app: Any):
        async with AsyncExitStack() as stack:
            if self.mcp is not None:
                await stack.enter_async_context(self.mcp.session_manager.run())
            yield

    def app_kwargs(self) -> dict:
        """Keyword arguments for FastAPI, passed through `demo.launch(app_kwargs=...)`: our routes, the lifespan
        and the request-body cap in front of every route (ours and Gradio's)."""
        from starlette.middleware import Middleware

        from api.request_limits import BodyLimit, limit_for

        return {"routes": self.routes(), "lifespan": self.lifespan,
                "middleware": [Middleware(BodyLimit, limit_of=limit_for(self.settings))]}

    def close(self) -> None:
        self.runs.close()
