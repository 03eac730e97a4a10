"""The read-only analysis tools served over MCP (the official `mcp` SDK, streamable HTTP at /mcp).

Why not Gradio's `mcp_server=True`: it turns every API endpoint into an MCP tool, `confirm_ticket`
included. This server is built from `api.analysis.Analysis` alone, which holds nothing but the
shared market-data client: no ticket, order, broker or account of anyone is reachable from here.
Stateless, JSON responses (no per-client MCP session to keep); each tool call is admitted first (the
visitor limits the chat applies, see `api.server`) and runs in a worker thread so the event loop never
waits on Yahoo.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import anyio
from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ToolAnnotations
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from api.analysis import CHART_TOOLS, TEXT_TOOLS, Analysis
from api.clients import basic_auth_ok, login_required
from core.errors import UserError
from tools.backtest import BacktestStrategyTool

MCP_PATH = "/mcp"
READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=True)
INSTRUCTIONS = ("Smol Trader's market-analysis tools: quotes, price history, company profiles, news, ticker "
                "search, comparisons, technical indicators, charts as plotly JSON, strategy backtests and price "
                "forecasts with their backtested verdict. "
                "Read-only: data comes from Yahoo Finance (Alpaca or Stooq when Yahoo fails) and says its source and "
                "when it was observed. Not financial advice; "
                "no trading is possible here.")


def build_mcp(analysis: Analysis, admit: Callable[[Any], None] | None = None) -> FastMCP:
    """The MCP server; `admit(request)` (the HTTP request of the call) raises a UserError to refuse a call."""
    server = FastMCP(
        "smol-trader", instructions=INSTRUCTIONS, streamable_http_path=MCP_PATH, stateless_http=True,
        json_response=True, log_level="WARNING",
        # The Space's host name is not known here; the tools serve public data only, with no cookie auth.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )

    async def call(ctx: Context, work: Callable[[], Any]) -> Any:
        request = ctx.request_context.request

        def admitted() -> Any:
            if admit is not None:
                admit(request)  # may look the workspace key up: in the worker thread too
            return work()

        try:
            return await anyio.to_thread.run_sync(admitted)
        except UserError as exc:
            raise ToolError(exc.user_message) from None

    def text_tool(name: str) -> dict:
        return dict(name=name, description=TEXT_TOOLS[name].description, annotations=READ_ONLY)

    @server.tool(**text_tool("stock_quote"))
    async def stock_quote(symbol: str, ctx: Context) -> str:
        return await call(ctx, functools.partial(analysis.text, "stock_quote", symbol=symbol))

    @server.tool(**text_tool("price_history"))
    async def price_history(symbol: str, ctx: Context, period: str | None = None, interval: str | None = None,
                            start: str | None = None, end: str | None = None) -> str:
        return await call(ctx, functools.partial(analysis.text, "price_history", symbol=symbol, period=period,
                                                 interval=interval, start=start, end=end))

    @server.tool(**text_tool("company_profile"))
    async def company_profile(symbol: str, ctx: Context) -> str:
        return await call(ctx, functools.partial(analysis.text, "company_profile", symbol=symbol))

    @server.tool(**text_tool("stock_news"))
    async def stock_news(symbol: str, ctx: Context, count: int | None = None) -> str:
        return await call(ctx, functools.partial(analysis.text, "stock_news", symbol=symbol, count=count))

    @server.tool(**text_tool("symbol_search"))
    async def symbol_search(query: str, ctx: Context, count: int | None = None) -> str:
        return await call(ctx, functools.partial(analysis.text, "symbol_search", query=query, count=count))

    @server.tool(**text_tool("compare_stocks"))
    async def compare_stocks(symbols: str, ctx: Context, period: str | None = None) -> str:
        return await call(ctx, functools.partial(analysis.text, "compare_stocks", symbols=symbols, period=period))

    @server.tool(**text_tool("technical_indicators"))
    async def technical_indicators(symbol: str, ctx: Context, indicators: str | None = None,
                                   period: str | None = None) -> str:
        return await call(ctx, functools.partial(analysis.text, "technical_indicators", symbol=symbol,
                                                 indicators=indicators, period=period))

    forecast_note = " Returns the summary, then the forecast and its evaluation as JSON (no chart over MCP)."

    @server.tool(name="forecast_price", annotations=READ_ONLY,
                 description=re.sub(r"[;.]?\s*shows a fan chart\.?", ".", TEXT_TOOLS["forecast_price"].description,
                                    flags=re.IGNORECASE) + forecast_note)
    async def forecast_price(symbol: str, ctx: Context, horizon: int | None = None,
                             interval: str | None = None) -> str:
        return await call(ctx, functools.partial(analysis.text, "forecast_price", symbol=symbol, horizon=horizon,
                                                 interval=interval))

    chart_note = " Returns {summary, figure}: the figure is plotly JSON (render it with plotly)."

    @server.tool(name="price_chart", description=CHART_TOOLS["price_chart"].description + chart_note,
                 annotations=READ_ONLY)
    async def price_chart(symbol: str, ctx: Context, period: str | None = None, indicators: str | None = None,
                          interval: str | None = None) -> dict:
        return await call(ctx, functools.partial(analysis.chart, "price_chart", symbol=symbol, period=period,
                                                 indicators=indicators, interval=interval))

    @server.tool(name="performance_chart", description=CHART_TOOLS["performance_chart"].description + chart_note,
                 annotations=READ_ONLY)
    async def performance_chart(symbols: str, ctx: Context, period: str | None = None) -> dict:
        return await call(ctx, functools.partial(analysis.chart, "performance_chart", symbols=symbols,
                                                 period=period))

    @server.tool(name="backtest_strategy", description=BacktestStrategyTool.description, annotations=READ_ONLY)
    async def backtest_strategy(symbol: str, spec: dict[str, Any] | str, ctx: Context, period: str | None = None,
                                interval: str | None = None) -> str:
        return await call(ctx, functools.partial(analysis.backtest, symbol, spec, period, interval))

    return server


def mcp_routes(server: FastMCP, settings: Any) -> list:
    """The Starlette route serving `server` at /mcp (its session manager must run in the app's lifespan).

    With an app login (APP_USERNAME/APP_PASSWORD), MCP clients send the same credentials as HTTP Basic auth.
    """
    (route,) = [r for r in server.streamable_http_app().routes if getattr(r, "path", None) == MCP_PATH]
    if not login_required(settings):
        return [route]
    return [Route(MCP_PATH, endpoint=LoginGuard(route.app, settings))]


class LoginGuard:
    """An ASGI app that serves `app` only to requests with the app's HTTP Basic credentials."""

    def __init__(self, app: Any, settings: Any):
        self.app = app
        self.settings = settings

    async def __call__(self, scope, receive, send) -> None:
        headers = dict(scope.get("headers") or [])
        if basic_auth_ok(headers.get(b"authorization", b"").decode("latin-1"), self.settings):
            return await self.app(scope, receive, send)
        response = PlainTextResponse("This app needs its username and password (HTTP Basic).", status_code=401,
                                     headers={"WWW-Authenticate": "Basic"})
        await response(scope, receive, send)
