"""A real MCP client (the official `mcp` SDK) against the running app on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

from standins.live_app import running_app

FORBIDDEN_WORDS = ("confirm", "order", "account", "ticket", "reject", "cancel", "position", "portfolio", "chat",
                   "buy", "sell", "trade")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("mcp"), None, RATE_LIMIT_TURNS_PER_MINUTE=6) as (url, stack, ui):
        yield url, ui


def session_run(url: str, work, headers: dict | None = None):
    """Open an MCP session on {url}mcp and run `work(session)` in it."""

    async def main():
        async with streamablehttp_client(url + "mcp", headers=headers) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await work(session)

    return asyncio.run(main())


def test_lists_only_read_only_analysis_tools(server):
    url, _ = server
    tools = session_run(url, lambda s: s.list_tools()).tools
    names = {tool.name for tool in tools}
    assert {"stock_quote", "price_history", "company_profile", "stock_news", "symbol_search", "compare_stocks",
            "technical_indicators", "price_chart", "performance_chart", "backtest_strategy", "forecast_price"} <= names
    for tool in tools:
        assert not any(word in tool.name for word in FORBIDDEN_WORDS), tool.name
        assert tool.annotations.readOnlyHint is True and tool.annotations.destructiveHint is False
        assert "ctx" not in json.dumps(tool.inputSchema)
    [forecast] = [tool for tool in tools if tool.name == "forecast_price"]
    assert "fan chart" not in forecast.description and "no chart over MCP" in forecast.description


def test_calls_a_quote_and_a_chart_with_the_apps_market_data(server):
    url, _ = server

    async def work(session):
        return (await session.call_tool("stock_quote", {"symbol": "AAPL"}),
                await session.call_tool("price_chart", {"symbol": "AAPL", "period": "6mo", "indicators": "sma20"}))

    quote, chart = session_run(url, work)
    assert not quote.isError
    text = quote.content[0].text
    assert text.startswith("AAPL (Apple Inc.)") and "via Yahoo Finance" in text
    assert not chart.isError
    result = json.loads(chart.content[0].text)
    assert result["summary"].startswith("Chart built: AAPL 6mo 1d with sma20")
    assert result["figure"]["data"][0]["type"] == "candlestick"


def test_a_forecast_comes_with_its_verdict_and_its_numbers(server):
    url, _ = server

    async def work(session):
        return (await session.call_tool("forecast_price", {"symbol": "AAPL", "horizon": 5}),
                await session.call_tool("forecast_price", {"symbol": "AAPL", "horizon": 90}))

    forecast, refused = session_run(url, work)
    assert not forecast.isError
    summary, _, data = forecast.content[0].text.partition("\n\nData (JSON): ")
    assert summary.startswith("AAPL 5-trading day forecast — ")
    result = json.loads(data)
    assert len(result["forecast"]) == 5 and result["evaluation"]["windows"] == 40 and result["as_of"]
    assert refused.content[0].text.startswith("Error: A horizon of 90 bars is outside 1 to 60")
    assert "Data (JSON)" not in refused.content[0].text


def test_a_bad_symbol_is_a_clear_tool_result_not_a_crash(server):
    url, _ = server
    result = session_run(url, lambda s: s.call_tool("stock_quote", {"symbol": "NOT A TICKER!"}))
    assert result.content[0].text.startswith("Error:")


def test_gradio_endpoints_are_not_mcp_tools(server):
    """Gradio's own MCP server (which would publish confirm_ticket) stays off."""
    import requests

    url, _ = server
    assert requests.get(url + "gradio_api/mcp/schema", timeout=10).status_code == 404
    assert requests.post(url + "gradio_api/mcp/", json={}, timeout=10).status_code == 404


def test_tool_calls_are_rate_limited_per_visitor(server):
    url, ui = server
    _, key = ui.runtime.workspaces.store.new_anonymous()  # a visitor of its own (the others share 127.0.0.1)

    async def work(session):
        return [await session.call_tool("symbol_search", {"query": "Apple"}) for _ in range(8)]

    results = session_run(url, work, {"X-Smol-Workspace": key})
    assert [r.isError for r in results[:6]] == [False] * 6
    assert all(r.isError and "the limit is 6 per minute" in r.content[0].text for r in results[6:])


def test_with_an_app_login_mcp_clients_need_the_credentials():
    import httpx
    from starlette.applications import Starlette

    from api.analysis import Analysis
    from api.mcp_server import build_mcp, mcp_routes
    from tests.harness import settings_for

    settings = settings_for(APP_USERNAME="ada", APP_PASSWORD="s3cret-pass")
    server = build_mcp(Analysis(market=None))
    app = Starlette(routes=mcp_routes(server, settings))
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}

    async def calls():
        async with server.session_manager.run():
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
                anonymous = await client.post("/mcp", json=request, headers=headers)
                right = await client.post("/mcp", json=request, headers=headers, auth=("ada", "s3cret-pass"))
                return anonymous, right

    anonymous, right = asyncio.run(calls())
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Basic"
    assert right.status_code == 200, right.text
    assert "stock_quote" in {tool["name"] for tool in right.json()["result"]["tools"]}
