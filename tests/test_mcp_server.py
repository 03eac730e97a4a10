"""A real MCP client (the official `mcp` SDK) against the running app on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

from tests.live_app import running_app

FORBIDDEN_WORDS = ("confirm", "order", "account", "ticket", "reject", "cancel", "position", "portfolio", "chat",
                   "buy", "sell", "trade")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("mcp"), None, API_RATE_PER_MINUTE=6) as (url, stack, ui):
        yield url, ui


def session_run(url: str, work):
    """Open an MCP session on {url}mcp and run `work(session)` in it."""

    async def main():
        async with streamablehttp_client(url + "mcp") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await work(session)

    return asyncio.run(main())


def test_lists_only_read_only_analysis_tools(server):
    url, _ = server
    tools = session_run(url, lambda s: s.list_tools()).tools
    names = {tool.name for tool in tools}
    assert {"stock_quote", "price_history", "company_profile", "stock_news", "symbol_search", "compare_stocks",
            "technical_indicators", "price_chart", "performance_chart", "backtest_strategy"} <= names
    for tool in tools:
        assert not any(word in tool.name for word in FORBIDDEN_WORDS), tool.name
        assert tool.annotations.readOnlyHint is True and tool.annotations.destructiveHint is False
        assert "ctx" not in json.dumps(tool.inputSchema)


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


def test_tool_calls_are_rate_limited_per_client(server):
    url, ui = server
    ui.integrations.limiter._calls.clear()

    async def work(session):
        return [await session.call_tool("symbol_search", {"query": "Apple"}) for _ in range(8)]

    results = session_run(url, work)
    assert [r.isError for r in results[:6]] == [False] * 6
    assert all(r.isError and "Too many requests" in r.content[0].text for r in results[6:])
