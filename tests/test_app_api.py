"""The app as a real server on 127.0.0.1, driven through gradio_client like an API user would."""

from __future__ import annotations

import json

import pytest
from gradio_client import Client

from standins.live_app import running_app
from standins.scripted_model import ScriptedModel, call, code, final


def scripted_team():
    return {
        "manager": ScriptedModel([code('r = web_agent(task="NVDA news")\nprint(r)'),
                                  final("NVDA: up 5% on the month.")]),
        "web_agent": ScriptedModel([call("web_search", query="NVDA news"),
                                    call("final_answer", answer="Headlines say NVDA rose.")]),
        "trader": ScriptedModel(),
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("api"), scripted_team) as (url, stack, ui):
        yield url, ui


def client(url: str) -> Client:
    return Client(url, verbose=False, analytics_enabled=False, download_files=False)


def test_help_through_the_chat_endpoint(server):
    url, _ = server
    messages = client(url).predict("/help", api_name="/chat")
    assert isinstance(messages, list) and messages[0]["role"] == "assistant"
    assert "/help" in messages[0]["content"] and "/quote" in messages[0]["content"]
    json.dumps(messages)  # JSON-safe all the way down


def test_submit_poll_and_read_a_scripted_conversation(server):
    url, _ = server
    job = client(url).submit("How did NVDA do this month?", api_name="/chat")
    final_messages = job.result(timeout=60)
    streamed = job.outputs()
    assert len(streamed) >= 2  # it streamed, not just returned
    kinds = [m["kind"] for m in final_messages]
    assert kinds[0] == "step" and kinds[-2:] == ["final", "figures"]  # the answer, then its figures badge
    assert final_messages[-2]["content"] == "NVDA: up 5% on the month."
    delegation = next(m for m in final_messages if m["kind"] == "delegation")
    assert delegation["metadata"]["parent_id"] == "mgr-1" and delegation["metadata"]["status"] == "done"
    assert any(m["metadata"].get("parent_id") == delegation["metadata"]["id"] for m in final_messages)
    text = json.dumps(final_messages)
    assert "object at 0x" not in text and "ChatMessage(" not in text


def test_each_api_client_is_its_own_session(server):
    url, ui = server
    first, second = client(url), client(url)
    first.predict("/help", api_name="/chat")
    second.predict("/help", api_name="/chat")
    assert len(ui.chat.sessions) >= 2


def test_bad_input_through_the_api_is_a_clear_message(server):
    url, _ = server
    (reply,) = client(url).predict("   ", api_name="/chat")
    assert reply["kind"] == "error" and "empty" in reply["content"]


def test_charts_reach_api_clients_as_plotly_json(server):
    url, _ = server
    messages = client(url).predict("/chart AAPL 1y", api_name="/chat")
    charts = [m for m in messages if m["kind"] == "chart"]
    assert charts, messages
    figure = charts[0]["plotly"]
    assert figure["data"] and figure["data"][0]["type"] in ("candlestick", "ohlc", "scatter")
