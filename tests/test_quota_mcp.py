"""MCP tool calls and the runs API share the chat's visitor limits: one `Quota` per app, one count per visitor.

The running app on 127.0.0.1, a real MCP client (the `mcp` SDK), the `/chat` API through gradio_client and the
runs API through plain `requests`; a visitor is named by their `X-Smol-Workspace` key on every path.
"""

from __future__ import annotations

import asyncio
import time

import pytest
import requests
from gradio_client import Client
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

from standins.live_app import running_app
from standins.scripted_model import ScriptedModel

LIMIT = "the limit is 3 per minute. Try again in"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quota-mcp")
    with running_app(tmp, lambda: ScriptedModel(), DATA_DIR=tmp / "data", RATE_LIMIT_TURNS_PER_MINUTE=3) \
            as (url, stack, ui):
        yield url, ui


def new_visitor(ui) -> dict:
    """The header of a new anonymous workspace (the key the app's workspace layer made)."""
    _, key = ui.runtime.workspaces.store.new_anonymous()
    return {"X-Smol-Workspace": key}


def mcp_calls(url: str, count: int, headers: dict | None = None) -> list:
    """`count` symbol_search calls in one MCP session: their results (`isError`, `content[0].text`)."""

    async def main():
        async with streamablehttp_client(url + "mcp", headers=headers) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return [await session.call_tool("symbol_search", {"query": "Apple"}) for _ in range(count)]

    return asyncio.run(main())


def chat_client(url: str, headers: dict) -> Client:
    return Client(url, headers=headers, verbose=False, analytics_enabled=False, download_files=False)


def said(client: Client, message: str) -> str:
    return client.predict(message, api_name="/chat")[-1]["content"]


def post_run(url: str, message: str, headers: dict) -> requests.Response:
    return requests.post(url + "api/runs", json={"message": message}, headers=headers, timeout=10)


def refusals(ui, scope: str) -> float:
    return ui.runtime.metrics.registry.get_sample_value("smol_trader_budget_refusals_total", {"scope": scope}) or 0


def test_a_visitor_who_used_their_turns_in_chat_is_refused_on_mcp_and_others_are_not(server):
    url, ui = server
    alice, bob = new_visitor(ui), new_visitor(ui)
    chat = chat_client(url, alice)
    for _ in range(3):
        assert LIMIT not in said(chat, "How is NVDA?")  # model turns count; slash commands have their own limit
    assert LIMIT in said(chat, "How is NVDA?")  # the chat's own refusal
    before = refusals(ui, "mcp")

    (refused,) = mcp_calls(url, 1, alice)
    assert refused.isError
    text = refused.content[0].text
    assert "You have sent 3 messages in the last minute; " + LIMIT in text, text
    assert refusals(ui, "mcp") == before + 1

    assert [r.isError for r in mcp_calls(url, 3, bob)] == [False] * 3  # another visitor (workspace) ...
    (anonymous,) = mcp_calls(url, 1)  # ... or a client sending no key (counted by its address) is not affected
    assert not anonymous.isError and "per minute" not in anonymous.content[0].text


def test_a_visitor_who_used_their_turns_on_mcp_is_refused_in_chat_and_runs(server):
    url, ui = server
    carol, dave = new_visitor(ui), new_visitor(ui)
    results = mcp_calls(url, 4, carol)
    assert [r.isError for r in results] == [False, False, False, True]
    assert LIMIT in results[-1].content[0].text

    chat = chat_client(url, carol)
    assert LIMIT in said(chat, "How is NVDA?")  # a model turn, before any model is called
    assert "/quote" in said(chat, "/help")  # slash commands typed in the chat have their own, generous limit
    run = post_run(url, "/help", carol)
    assert run.status_code == 429 and LIMIT in run.json()["detail"]
    assert 1 <= int(run.headers["Retry-After"]) <= 61

    other = chat_client(url, dave)
    assert "/quote" in said(other, "/help")
    assert post_run(url, "/help", dave).status_code == 202


def test_runs_count_in_the_same_quota_as_mcp_calls(server):
    url, ui = server
    erin = new_visitor(ui)
    ids = [post_run(url, "How is NVDA?", erin).json()["id"] for _ in range(3)]  # three runs: three turns
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        views = [requests.get(f"{url}api/runs/{run_id}", headers=erin, timeout=10).json() for run_id in ids]
        if all(view["status"] == "done" for view in views):
            break
        time.sleep(0.1)
    assert all(view["status"] == "done" and LIMIT not in str(view["answer"]) for view in views), views
    (refused,) = mcp_calls(url, 1, erin)
    assert refused.isError and LIMIT in refused.content[0].text
    assert post_run(url, "/help", erin).status_code == 429


def test_an_unknown_workspace_key_is_a_clear_tool_error(server):
    url, _ = server
    (result,) = mcp_calls(url, 1, {"X-Smol-Workspace": "made-up-workspace-key-0001"})
    assert result.isError and "This workspace key is not valid." in result.content[0].text
