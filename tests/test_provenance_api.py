"""Figure verdicts reach API clients through gradio_client, JSON-safe, on the final message."""

from __future__ import annotations

import json

from gradio_client import Client

from standins.live_app import running_app
from standins.scripted_model import ScriptedModel, code, final


def scripted_team():
    return {
        "manager": ScriptedModel([code('r = trader(task="AAPL quote")\nprint(r)'),
                                  final("AAPL is at $244.60 (up 1.27%); a $999.99 target is made up.")]),
        "web_agent": ScriptedModel(),
        "trader": ScriptedModel([code('print(stock_quote(symbol="AAPL"))'), final("Quote fetched.")]),
    }


def test_final_message_carries_figures_and_summary(tmp_path):
    with running_app(tmp_path, scripted_team) as (url, _stack, _demo):
        messages = Client(url, verbose=False, analytics_enabled=False, download_files=False).predict(
            "How is AAPL?", api_name="/chat")
    json.dumps(messages)
    final_message = next(m for m in messages if m["kind"] == "final")
    assert final_message["content"] == "AAPL is at $244.60 (up 1.27%); a $999.99 target is made up."
    assert final_message["extra"]["figures_summary"] == {"traced": 2, "from_message": 0, "total": 3}
    figures = final_message["extra"]["figures"]
    assert [f["text"] for f in figures] == ["$244.60", "1.27%", "$999.99"]
    source = figures[0].pop("source")
    assert figures[0] == {"text": "$244.60", "value": 244.6, "verdict": "traced", "mismatch": None}
    # stock_quote returns structured data: the printed dict is the source line, with the quote's own `as_of`
    assert (source["step"], source["tool"], source["as_of"]) == ("trader · step 1", "stock_quote",
                                                                 "2025-02-14T21:00:00+00:00")
    assert "'price': 244.6" in source["line"]
    assert figures[2]["verdict"] == "untraced" and figures[2]["source"] is None and figures[2]["mismatch"] is None
    badge = messages[messages.index(final_message) + 1]
    assert badge["kind"] == "figures" and badge["metadata"]["title"] == "⚠️ 2 of 3 figures traced to tool output"
