"""Against llama-cpp-python's own OpenAI-compatible server (`python -m llama_cpp.server`, built from its pinned sdist
into a virtual environment of its own) with the same tiny model as test_llama_server.py; issue 29.

Its request schema wants a system message's `content` as a string, and smolagents sends a list of text parts: the
first request is refused with a 500 carrying a pydantic dump. The app learns that dialect once per server, sends
plain strings from then on, and never shows the dump.

`scripts/build_llama_cpp_python.sh` builds and caches it (CI runs it); tests find it by LLAMA_CPP_PYTHON_BIN or in
the cache (/var/cache/smol-trader). Marked `llama`: `pytest -m "not llama"` skips them. Without it they are skipped,
unless SMOL_REQUIRE_LLAMA=1 (CI), when that is a failure.
"""

from __future__ import annotations

import contextlib
import os

import pytest
import requests
from smolagents import CodeAgent
from smolagents.monitoring import LogLevel

from agents.model_errors import ModelOutputCapError, classify, describe
from agents.model_steps import stream_final_answer
from tests.test_llama_server import (
    GGUF,
    found,
    free_port,
    fresh_profiles,  # noqa: F401  (autouse: each test learns the dialect anew)
    model_for,
    msg,
    served,
)

pytestmark = [pytest.mark.slow, pytest.mark.llama]

PYTHON = found("LLAMA_CPP_PYTHON_BIN", "llama-cpp-python-*/bin/python")
if not (PYTHON and GGUF):
    if os.environ.get("SMOL_REQUIRE_LLAMA") == "1":
        raise RuntimeError("llama-cpp-python's server is missing: run scripts/build_llama_cpp_python.sh")
    pytest.skip("llama-cpp-python's server not built (scripts/build_llama_cpp_python.sh)", allow_module_level=True)

WINDOW = 8192  # the team's instructions alone are ~3,200 tokens
SYSTEM = msg("system", "You are a helpful assistant of a stock-market team. Answer briefly.")


@pytest.fixture(scope="module")
def server():
    port = free_port()
    with served([PYTHON, "-m", "llama_cpp.server", "--model", GGUF, "--host", "127.0.0.1", "--port", str(port),
                 "--n_ctx", str(WINDOW), "--n_threads", "2", "--seed", "7"], port, "/v1/models", limit_s=120) as base:
        yield base


def test_the_server_really_refuses_list_content(server):
    """The finding itself, on the real server: what smolagents sends by default is a 500 with a pydantic dump."""
    answer = requests.post(f"{server}/v1/chat/completions", timeout=60, json={
        "model": "smollm2", "max_tokens": 4,
        "messages": [{"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
                     {"role": "user", "content": "hi"}]})
    assert answer.status_code == 500 and "Input should be a valid string" in answer.text


def test_its_dialect_is_learned_once_and_words_stream(server):
    model = model_for(server, MODEL_MAX_OUTPUT_TOKENS=16, MODEL_CONTEXT_TOKENS=WINDOW)
    deltas = []
    with contextlib.suppress(ModelOutputCapError):  # a tiny model may talk on to the cap
        for delta in model.generate_stream([SYSTEM, msg("user", "New task:\nCount from one to ten in words.")]):
            deltas.append(delta)
    assert sum(1 for d in deltas if d.content) > 2  # words arrive in pieces
    assert model.server.flatten  # learned: plain-string content from now on
    deltas = []
    with contextlib.suppress(ModelOutputCapError):
        deltas = list(model.generate_stream([SYSTEM, msg("user", "New task:\nSay hello.")]))
    assert any(d.content for d in deltas)


def test_a_code_agent_turn_ends_without_an_error(server):
    """The whole path a team member takes: the first step is refused, learned from, and the turn goes on."""
    model = model_for(server, MODEL_MAX_OUTPUT_TOKENS=48, MODEL_CONTEXT_TOKENS=WINDOW, MODEL_TIMEOUT_S=600)
    agent = CodeAgent(tools=[], model=model, max_steps=1, stream_outputs=True, verbosity_level=LogLevel.OFF)
    seen = []
    stream_final_answer(agent, seen.append)
    events = list(agent.run("Say hello in one short sentence, without code.", stream=True))
    errors = [str(getattr(e, "error", "")) for e in events if getattr(e, "error", None)]
    assert not any("validation error" in e or "Error code: 500" in e for e in errors), errors
    assert any(d.content for d in seen)  # the answer after the step limit streamed from this server


def test_an_overflow_is_told_as_the_context_window_not_a_dump(server):
    model = model_for(server, MODEL_CONTEXT_TOKENS=1_000_000)  # we believe a huge window: the server refuses
    with pytest.raises(Exception) as raised:
        list(model.generate_stream([SYSTEM, msg("user", "New task:\n" + "price 123.45 " * 2000)]))
    assert classify(raised.value) == "context"
    text = describe(raised.value, "smollm2")
    assert "context window" in text and "validation error" not in text and "Try again" not in text
