"""The models' words reach the chat as they come: manager and members, in-process and through `/chat`.

The model is smolagents' real `OpenAIModel` (built by the app from OPENAI_API_BASE/MODEL_ID) talking to a scripted
OpenAI-compatible server on 127.0.0.1 that streams each reply in 20 chunks. "Before the model finished" is read from
the server's own record of the completion, not from timings. The server also records whether each request asked for
a stream, so the fallback to whole responses (and its absence on transient errors) is read from the wire.
"""

from __future__ import annotations

import os
import time

import httpx
import openai
import pytest
import smolagents.models
from gradio_client import Client
from huggingface_hub.errors import HfHubHTTPError

from agents.streaming import cannot_stream
from chat.session import Session
from standins.live_app import running_app
from standins.openai_compat import COMPLETION_TOKENS, PROMPT_TOKENS, OpenAICompatServer
from standins.otlp import OTLPReceiver
from standins.scripted_model import code, final
from standins.telemetry_team import by_trace, roots
from tests.harness import final_text, local_stack

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

FINAL = "AAPL is at 123.45 according to the trader."

MANAGER_1 = code('report = trader(task="Quote AAPL")\nprint(report)',
                 "I will ask the trader for the AAPL quote, then answer the person.")
TRADER_1 = code('final_answer("AAPL last 123.45")', "The trader answers directly with the quote it knows.")
MANAGER_2 = final(FINAL)


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


def most_in_one_second(times: list[float]) -> int:
    """The largest number of `times` falling in any window of one second."""
    return max((sum(1 for t in times if start <= t < start + 1.0) for start in times), default=0)


def first_words(snapshots) -> list[bool]:
    """For each snapshot: does it bring some item's first words (the runner yields those without waiting)?"""
    from chat.runner import PLACEHOLDERS

    def worded(items):
        return {i.id for i in items if i.content and i.content not in PLACEHOLDERS}

    seen: set = set()
    out = []
    for items, _finished in snapshots:
        now = worded(items)
        out.append(bool(now - seen))
        seen |= now
    return out


def test_words_appear_inside_the_right_step_before_the_model_finishes(tmp_path, streaming_server, capfd):
    server = streaming_server
    with local_stack(tmp_path, **model_env(server)) as stack:
        from chat.service import ChatService

        chat = ChatService(stack.runtime)
        assert chat.model_choice.backend == "openai"
        snapshots, times = [], []
        for items in chat.respond(Session(id="s-stream"), "How is AAPL doing?"):
            times.append(time.monotonic())
            finished = {c.reply: c.finished for c in server.completions}
            snapshots.append((list(items), finished))
    last = snapshots[-1][0]
    assert final_text(last) == FINAL
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
    # coalesced: 3 completions x 20 chunks over 1.8 s, yet never more than 20 snapshots a second: 50 ms apart, so
    # 21 fit in a closed 1 s window, +1 because the last one of a turn is yielded at once (uncoalesced: ~60). An
    # item's first words are shown at once too (chat/runner.py): those snapshots are on top of the 20 a second.
    assert len(snapshots) < 60
    ticked = [t for t, first in zip(times, first_words(snapshots), strict=True) if not first]
    assert most_in_one_second(ticked) <= 22, most_in_one_second(ticked)
    assert sum(first_words(snapshots)) <= len(last)  # at most one such snapshot per item
    # smolagents' own console display of the stream is off (agents/compat.py): nothing printed
    assert "I will ask the trader" not in capfd.readouterr().out


def test_a_server_that_ignores_stream_still_answers(tmp_path):
    with OpenAICompatServer(script, stream_support="ignores") as server, \
            local_stack(tmp_path, **model_env(server)) as stack:
        from chat.service import ChatService

        chat = ChatService(stack.runtime)
        last = list(chat.respond(Session(id="s-whole"), "How is AAPL doing?"))[-1]
        assert final_text(last) == FINAL
        assert not any(i.kind == "error" for i in last)
        steps = [i for i in last if i.kind == "step"]
        assert steps and f"{PROMPT_TOKENS:,} → {COMPLETION_TOKENS:,} tokens" in {i.log for i in steps}
    # the team's model asked for a stream once, got a whole body with no events, asked again for a whole response,
    # and asked for whole responses only from then on
    assert [c.requested_stream for c in server.completions] == [True, False, False, False]
    assert not any(c.stream for c in server.completions)


def test_a_server_that_refuses_stream_gets_whole_responses_from_then_on(tmp_path):
    with OpenAICompatServer(script, stream_support="refuses") as server, \
            local_stack(tmp_path, **model_env(server)) as stack:
        from chat.service import ChatService

        chat = ChatService(stack.runtime)
        session = Session(id="s-refused")
        last = list(chat.respond(session, "How is AAPL doing?"))[-1]
        assert final_text(last) == FINAL
        assert not any(i.kind == "error" for i in last)
        steps = [i for i in last if i.kind == "step"]
        assert steps and f"{PROMPT_TOKENS:,} → {COMPLETION_TOKENS:,} tokens" in {i.log for i in steps}
        # the first request tried streaming and got 400; the same request was sent whole; no streaming after that
        assert [(c.requested_stream, c.status) for c in server.completions] == \
            [(True, 400), (False, 200), (False, 200), (False, 200)]
        # the next turn of the session does not try again
        asked = len(server.completions)
        assert final_text(list(chat.respond(session, "And AAPL now?"))[-1]) == FINAL
        assert server.completions[asked:] and not any(c.requested_stream for c in server.completions[asked:])


# How many requests one model call makes before its error reaches our code: the OpenAI client retries once
# (max_retries=1) a 429 or a 5xx; smolagents then retries a rate-limited call twice more (3 attempts).
ATTEMPTS = {500: 2, 429: 2 * 3}


@pytest.mark.parametrize("status", [500, 429])
def test_a_transient_error_on_a_streaming_request_is_raised_and_streaming_stays_on(tmp_path, monkeypatch, status):
    monkeypatch.setattr(smolagents.models, "RETRY_WAIT", 0.01)  # smolagents waits 60 s before retrying a 429
    with OpenAICompatServer(script, chunks=4, stream_seconds=0.1) as server, \
            local_stack(tmp_path, **model_env(server)) as stack:
        from chat.service import ChatService

        chat = ChatService(stack.runtime)
        session = Session(id=f"s-{status}")
        attempts = ATTEMPTS[status]
        server.fail_streams(status, count=attempts)
        last = list(chat.respond(session, "How is AAPL doing?"))[-1]
        [error] = [i for i in last if i.kind == "error"]
        assert str(status) in str(error.content) and not any(i.kind == "final" for i in last)
        # smolagents' error handling, and no second request without `stream`
        assert [(c.requested_stream, c.status) for c in server.completions] == [(True, status)] * attempts
        # the server is back: the next turn streams every request
        last = list(chat.respond(session, "How is AAPL doing?"))[-1]
        assert final_text(last) == FINAL
        assert [(c.requested_stream, c.stream, c.status) for c in server.completions[attempts:]] == \
            [(True, True, 200)] * 3


def test_a_rate_limited_streaming_request_is_retried_as_a_stream(tmp_path, monkeypatch):
    monkeypatch.setattr(smolagents.models, "RETRY_WAIT", 0.01)
    with OpenAICompatServer(script, chunks=4, stream_seconds=0.1) as server, \
            local_stack(tmp_path, **model_env(server)) as stack:
        from chat.service import ChatService

        chat = ChatService(stack.runtime)
        server.fail_streams(429, count=2)  # beyond the OpenAI client's own retry: smolagents' retry streams again
        last = list(chat.respond(Session(id="s-429-retried"), "How is AAPL doing?"))[-1]
        assert final_text(last) == FINAL
        assert not any(i.kind == "error" for i in last)
        assert [(c.requested_stream, c.stream, c.status) for c in server.completions] == \
            [(True, False, 429)] * 2 + [(True, True, 200)] * 3


REQUEST = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")


def status_error(error_class: type, status: int, message: str = "refused"):
    response = httpx.Response(status, request=REQUEST, json={"error": {"message": message}})
    if error_class is HfHubHTTPError:
        return HfHubHTTPError(message, response=response)
    return error_class(message, response=response, body=None)


@pytest.mark.parametrize(("error", "refusal"), [
    (status_error(openai.BadRequestError, 400), True),
    (status_error(openai.NotFoundError, 404), True),
    (status_error(openai.UnprocessableEntityError, 422), True),
    (status_error(openai.APIStatusError, 501), True),
    (status_error(HfHubHTTPError, 400), True),
    (ValueError("Unsupported parameter: 'stream' is not supported with this model."), True),
    (status_error(openai.RateLimitError, 429), False),
    (status_error(openai.InternalServerError, 500), False),
    (status_error(openai.InternalServerError, 503, "stream interrupted, not supported now"), False),
    (status_error(HfHubHTTPError, 429), False),
    (status_error(HfHubHTTPError, 502), False),
    (status_error(openai.AuthenticationError, 401), False),
    (openai.APITimeoutError(request=REQUEST), False),
    (openai.APIConnectionError(request=REQUEST), False),
    (httpx.ReadTimeout("timed out while reading the stream"), False),
    (httpx.ConnectError("connection refused"), False),
    (TimeoutError(), False),
    (ValueError("No content or tool calls in event"), False),
], ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value))
def test_only_a_refusal_to_stream_means_the_server_cannot_stream(error, refusal):
    """Real client libraries' errors, as raised before the first words of a streaming response."""
    assert cannot_stream(error) is refusal


def test_a_streamed_turn_is_one_trace_with_token_counts(tmp_path, streaming_server):
    server = streaming_server
    with OTLPReceiver() as receiver, \
            local_stack(tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.base_url, **model_env(server)) as stack:
        from chat.service import ChatService

        chat = ChatService(stack.runtime)
        last = list(chat.respond(Session(id="s-traced", user="erin"), "How is AAPL doing?"))[-1]
        assert final_text(last) == FINAL
        [trace_item] = [item for item in last if item.kind == "trace"]
        assert stack.runtime.tracing.flush()
    assert all(c.stream for c in server.completions) and len(server.completions) == 3
    traces = by_trace(receiver.spans())
    assert list(traces) == [trace_item.extra["trace_id"]]
    spans = traces[trace_item.extra["trace_id"]]
    [root] = roots(spans)
    assert root.attributes["output.value"] == FINAL
    llm = [s for s in spans if s.attributes["openinference.span.kind"] == "LLM"]
    assert len(llm) == 3  # one span per model call, streamed
    for span in llm:
        assert (span.attributes["llm.token_count.prompt"], span.attributes["llm.token_count.completion"],
                span.attributes["llm.token_count.total"]) == (PROMPT_TOKENS, COMPLETION_TOKENS,
                                                              PROMPT_TOKENS + COMPLETION_TOKENS), span.name


def test_api_clients_see_the_growing_words(tmp_path, streaming_server):
    server = streaming_server
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with running_app(tmp_path, None, **model_env(server)) as (url, _stack, _ui):
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        job = client.submit("How is AAPL doing?", api_name="/chat")
        early = member_early = member_nested = None
        for messages in job:
            if early is None and any(m["kind"] == "step" and "I will ask the trader" in m["content"]
                                     for m in messages):
                early = not completion_for(server, MANAGER_1).finished
            member = next((m for m in messages if m["kind"] == "member_step"
                           and "The trader answers directly" in m["content"]), None)
            if member_early is None and member is not None:
                member_early = not completion_for(server, TRADER_1).finished
                delegations = {m["metadata"]["id"] for m in messages if m["kind"] == "delegation"}
                member_nested = member["metadata"].get("parent_id") in delegations
        result = job.result()
    assert early is True
    # the trader's words, inside its delegation, while the trader's completion was still streaming
    assert member_early is True and member_nested is True
    assert [m["content"] for m in result if m["kind"] == "final"] == [FINAL]


def test_a_steps_first_words_show_as_they_arrive_not_with_the_next_chunk(tmp_path):
    """The words of a chunk are shown at once: only a tail that could begin a stop sequence waits for the next
    chunk (the first chunk used to lose its last ~11 characters until the next one came), and an item's first
    words skip the 50 ms coalescing tick."""
    first_half = "Thought: I will answer at once, here are my first words for you"
    tail = "\n<code>\nfinal_answer('done')\n</code>"
    tail = tail.replace("<code>\n", "<code>\n# " + "x" * (len(first_half) - len(tail) - 3) + "\n")
    reply = first_half + tail  # two equal halves: the first chunk is exactly the first half
    pause_s = 2.0  # between the two chunks: words seen within a second came with the first chunk alone

    with OpenAICompatServer(lambda messages: reply, chunks=2, stream_seconds=pause_s) as server:
        assert server.chunks == 2
        with local_stack(tmp_path, **model_env(server)) as stack:
            from chat.service import ChatService

            chat = ChatService(stack.runtime)
            seen = None
            for items in chat.respond(Session(id="s-first-words"), "Hello?"):
                if seen is None and any("here are my first words" in str(item.content) for item in items):
                    seen = time.monotonic()
            first_chunk = server.completions[0].first_chunk_at
    assert len(reply) == 2 * len(first_half)
    assert seen is not None and seen - first_chunk < pause_s / 2, f"shown {seen - first_chunk:.2f} s after the chunk"
