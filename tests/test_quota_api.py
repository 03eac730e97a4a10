"""API clients (`/chat` through gradio_client) are held to the same visitor limits as the browser."""

from __future__ import annotations

import pytest
from gradio_client import Client

from standins.live_app import running_app
from standins.scripted_model import ScriptedModel


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quota-api")
    with running_app(tmp, lambda: ScriptedModel(), DATA_DIR=tmp / "data", RATE_LIMIT_TURNS_PER_MINUTE=4,
                     SLASH_COMMANDS_PER_MINUTE=3,
                     TOKEN_BUDGET_PER_DAY=18) as (url, stack, demo):
        yield url, demo


def test_an_api_client_meets_the_budget_and_the_rate_limit(server):
    url, demo = server
    api = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    first = api.predict("How is NVDA?", api_name="/chat")
    assert first[-1]["kind"] == "final"  # 18 tokens: the day's budget is now used
    refused = api.predict("And AAPL?", api_name="/chat")
    assert "today's budget of model tokens (18 per day)" in refused[-1]["content"]
    for _ in range(3):  # slash commands stay free ...
        assert "/quote" in api.predict("/help", api_name="/chat")[0]["content"]
    (limited,) = api.predict("/help", api_name="/chat")  # ... within their own rate: 3 per minute
    assert "3 slash commands in the last minute; the limit is 3 per minute" in limited["content"]
    other = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    assert "/quote" in other.predict("/help", api_name="/chat")[0]["content"]  # another visitor is not affected
