"""The models' words reach the chat as they come: manager and members, in-process and through `/chat`.

The model is smolagents' real `OpenAIModel` (built by the app from OPENAI_API_BASE/MODEL_ID) talking to a scripted
OpenAI-compatible server on 127.0.0.1 that streams each reply in 20 chunks. "Before the model finished" is read from
the server's own record of the completion, not from timings.
"""

from __future__ import annotations

import os

import pytest
from gradio_client import Client

from agents.session import Session
from tests.harness import final_text, local_stack
from tests.live_app import running_app
from tests.scripted_model import code, final
from tests.servers.openai_compat import COMPLETION_TOKENS, PROMPT_TOKENS, OpenAICompatServer

MANAGER_1 = code('report = trader(task="Quote AAPL")\nprint(report)',
                 "I will ask the trader for the AAPL quote, then answer the person.")
TRADER_1 = code('final_answer("AAPL last 123.45")', "The trader answers directly with the quote it knows.")
MANAGER_2 = final("AAPL is at 123.45 according to the trader.")


def step_of(messages: list[dict]) -> int:
    """How many assistant replies this agent has given since its task began."""
    start = max((i for i, m in enumerate(messages) if "New task" in str(m.get("content"))), default=0)
    return sum(1 for m in messages[start:] if m.get("role") == "assistant")


def script(messages: list[dict]):
    system = str(messages[0].get("content")) if messages else ""
    if "You are the trader of Smol Trader" in system:
        return TRADER_1
    return MANAGER_1 if step_of(messages) == 0 else MANAGER_2


def model_env(server: OpenAICompatServer) -> dict:
    return {"OPENAI_API_BASE": server.url, "MODEL_ID": "scripted-streamer", "MODEL_TIMEOUT_S": 30}


def completion_for(server: OpenAICompatServer, reply: str):
    return next(c for c in server.completions if c.reply == reply)


@pytest.fixture
def streaming_server():
    with OpenAICompatServer(script, chunks=20, stream_seconds=0.6) as server:
        yield server


def seen_while_streaming(snapshots, server, reply: str, kind: str, words: str) -> bool:
    """Whether `words` showed in an item of `kind` while the completion answering `reply` was still streaming."""
    for items, finished in snapshots:
        shown = any(item.kind == kind and words in str(item.content) for item in items)
        if shown:
            return not finished.get(reply, True)
    return False


def test_words_appear_inside_the_right_step_before_the_model_finishes(tmp_path, streaming_server, capfd):
    server = streaming_server
    with local_stack(tmp_path, **model_env(server)) as stack:
        from agents.chat import ChatService

        chat = ChatService(stack.services)
        assert chat.model_choice.backend == "openai"
        snapshots = []
        for items in chat.respond(Session(id="s-stream"), "How is AAPL doing?"):
            finished = {c.reply: c.finished for c in server.completions}
            snapshots.append((list(items), finished))
    last = snapshots[-1][0]
    assert final_text(last) == "AAPL is at 123.45 according to the trader."
    assert all(c.stream for c in server.completions) and len(server.completions) == 3
    # the manager's first thought, inside its step, while that completion was still streaming
    assert seen_while_streaming(snapshots, server, MANAGER_1, "step", "I will ask the trader")
    # the trader's words inside its own step, nested in the delegation, while its completion was streaming
    assert seen_while_streaming(snapshots, server, TRADER_1, "member_step", "The trader answers directly")
    delegation = next(i for i in last if i.kind == "delegation")
    member_steps = [i for i in last if i.kind == "member_step"]
    assert member_steps and all(i.parent_id == delegation.id for i in member_steps)
    assert delegation.parent_id == next(i for i in last if i.kind == "step").id
    # usage is counted from the stream: each finished step shows the server's token counts
    logs = [i.log for i in last if i.kind in ("step", "member_step") and i.log]
    assert f"{PROMPT_TOKENS:,} → {COMPLETION_TOKENS:,} tokens" in logs
    # coalesced: 3 completions x 20 chunks, far fewer snapshots than chunks
    assert len(snapshots) < 60
    # smolagents' own console display of the stream is off (agents/compat.py): nothing printed
    assert "I will ask the trader" not in capfd.readouterr().out


def test_a_server_that_cannot_stream_still_answers(tmp_path):
    with OpenAICompatServer(script, streams=False) as server, local_stack(tmp_path, **model_env(server)) as stack:
        from agents.chat import ChatService

        chat = ChatService(stack.services)
        last = list(chat.respond(Session(id="s-whole"), "How is AAPL doing?"))[-1]
        assert final_text(last) == "AAPL is at 123.45 according to the trader."
        assert not any(i.kind == "error" for i in last)
        steps = [i for i in last if i.kind == "step"]
        assert steps and f"{PROMPT_TOKENS:,} → {COMPLETION_TOKENS:,} tokens" in {i.log for i in steps}
        # each agent asked for a stream once, found none, and then asked for whole responses only
        assert [c.stream for c in server.completions] == [False] * len(server.completions)


def test_api_clients_see_the_growing_words(tmp_path, streaming_server):
    server = streaming_server
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with running_app(tmp_path, None, **model_env(server)) as (url, _stack, _ui):
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        job = client.submit("How is AAPL doing?", api_name="/chat")
        early = None
        for messages in job:
            if early is None and any(m["kind"] == "step" and "I will ask the trader" in m["content"]
                                     for m in messages):
                early = not completion_for(server, MANAGER_1).finished
        result = job.result()
    assert early is True
    assert [m["content"] for m in result if m["kind"] == "final"] == ["AAPL is at 123.45 according to the trader."]
