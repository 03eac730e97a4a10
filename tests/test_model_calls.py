"""Bounded model calls against the scripted OpenAI-compatible server (fast; issues 29 and 30).

The model is the app's own (agents.models.build_model from settings); the server speaks OpenAI's wire protocol and,
where a test says so, a real server's dialect or error text (llama-server's context overflow, llama-cpp-python's
request-schema refusal).
"""

from __future__ import annotations

import time

import pytest
from smolagents.models import ChatMessage, MessageRole

from agents.context_budget import TokenCounter, fit, text_of
from agents.model_errors import (
    ContextTooSmallError,
    ModelDeadlineError,
    ModelOutputCapError,
    ModelRepeatingError,
    classify,
    describe,
)
from agents.model_server import forget_profiles
from agents.models import build_model, for_role
from agents.streaming import cannot_stream, repeating
from core.settings import load_settings
from tests.servers.openai_compat import (
    LLAMA_CPP_PYTHON_CONTENT_ERROR,
    LLAMA_SERVER_CONTEXT_ERROR,
    LLAMA_SERVER_CONTEXT_ERROR_SIZED,
    OpenAICompatServer,
)

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop


@pytest.fixture(autouse=True)
def fresh_profiles():
    forget_profiles()
    yield
    forget_profiles()


def model_for(server: OpenAICompatServer, **env):
    settings = load_settings({"OPENAI_API_BASE": server.url, "MODEL_ID": "scripted", "MODEL_TIMEOUT_S": "30",
                              **{k: str(v) for k, v in env.items()}}, dotenv_path=None)
    return build_model(settings), settings


def msg(role: str, text: str) -> ChatMessage:
    return ChatMessage(role=MessageRole(role), content=[{"type": "text", "text": text}])


def words(model, messages, **kwargs) -> str:
    return "".join(d.content or "" for d in model.generate_stream(messages, **kwargs))


SYSTEM = msg("system", "You are the manager. " * 50)


def conversation(turns: int, observation_chars: int = 3000) -> list:
    out = [SYSTEM]
    for turn in range(turns):
        out.append(msg("user", f"New task:\nQuestion {turn}: how is AAPL doing?"))
        for step in range(3):
            out.append(msg("assistant", f"Thought: step {step}\n<code>\nprint({step})\n</code>"))
            out.append(msg("tool-response", f"Observation:\n{'price 123.45 ' * (observation_chars // 13)}"))
    return out


# -- the context budget ---------------------------------------------------------------------------------------------
def test_a_long_conversation_is_fitted_newest_step_whole_system_first():
    counter = TokenCounter()
    messages = conversation(10)
    assert counter.total(messages) > 8192
    fitted = fit(messages, 8192 - 1536, counter)
    assert counter.total(fitted) <= 8192 - 1536
    assert fitted[0] is SYSTEM
    assert text_of(fitted[-1]) == text_of(messages[-1]) and text_of(fitted[-2]) == text_of(messages[-2])
    assert "Question 9" in text_of(next(m for m in fitted if "New task" in text_of(m) and "Question 9" in
                                        text_of(m)))


def test_a_growing_conversation_keeps_the_same_prefix_for_several_requests():
    """Earlier turns are dropped a block at a time, so consecutive requests share what they keep and a local
    server reuses its prompt cache for it (dropping one turn per request shifted the whole prompt every time)."""
    counter, budget = TokenCounter(), 8192 - 1536
    kept = []
    for turns in range(4, 30):
        before, after = fit(conversation(turns), budget, counter), fit(conversation(turns + 1), budget, counter)
        assert counter.total(after) <= budget
        earlier = len(before) - 7  # the previous request without its current turn (a task and three steps)
        kept.append([text_of(m) for m in after[:earlier]] == [text_of(m) for m in before[:earlier]])
    assert kept[0] and not all(kept)  # it had to drop: the test reaches the interesting part
    assert sum(kept) >= 0.6 * len(kept), kept


def test_fitting_costs_nothing_when_the_request_fits():
    messages = conversation(1, 100)
    assert fit(messages, 8192, TokenCounter()) == messages


def test_instructions_that_do_not_fit_say_which_model_and_what_to_set():
    with pytest.raises(ContextTooSmallError) as raised:
        fit([msg("system", "x" * 30_000), msg("user", "New task:\nhello")], 2048, TokenCounter(), model="tiny",
            window=2048)
    text = raised.value.user_message
    assert "tiny" in text and "2,048" in text and "MODEL_CONTEXT_TOKENS" in text and "--ctx-size" in text


def test_the_counter_learns_from_usage_and_from_an_overflow():
    counter = TokenCounter()
    messages = conversation(1, 9000)
    chars = sum(len(text_of(m)) for m in messages)
    counter.observe(messages, chars // 4)  # a tokenizer with 4 characters a token
    assert counter.chars_per_token > 3.0
    counter.overflowed(messages, chars // 2)  # the server said it was twice as many tokens
    assert counter.chars_per_token <= 0.9 * 2 + 1e-9


# -- errors ---------------------------------------------------------------------------------------------------------
def test_a_size_400_is_its_own_error_and_sent_once():
    with OpenAICompatServer(lambda m: "hello", chunks=2, stream_seconds=0.01) as server:
        model, _ = model_for(server)
        server.fail_requests(400, LLAMA_SERVER_CONTEXT_ERROR)
        with pytest.raises(Exception) as raised:
            words(model, [msg("user", "New task:\nhi")])
        assert len(server.completions) == 1 and not cannot_stream(raised.value)
        assert classify(raised.value) == "context"
        text = describe(raised.value, "SmolLM2")
        assert "13,357 tokens" in text and "next message will work" in text and "Try again" not in text
        assert model.streams  # still streaming: it was not about streaming
        assert words(model, [msg("user", "New task:\nhi")]) == "hello"


@pytest.mark.parametrize(("status", "message", "kind", "says"), [
    (404, "The model `gpt-9` does not exist or you do not have access to it.", "unknown_model", "MODEL_ID"),
    (400, "Unsupported parameter: 'response_format' is not supported with this model.", "parameter",
     "`response_format`"),
    (503, "Loading model", "overloaded", "Try again"),
    (500, LLAMA_CPP_PYTHON_CONTENT_ERROR, "dialect", "refused"),
])
def test_each_failure_gets_its_own_truthful_message(status, message, kind, says):
    with OpenAICompatServer(lambda m: "hello") as server:
        model, _ = model_for(server)
        server.fail_requests(status, message, count=10)
        with pytest.raises(Exception) as raised:
            model.generate([msg("user", "hi")])
    assert classify(raised.value) == kind
    text = describe(raised.value, "gpt-9")
    assert says in text and "validation error" not in text and "You are an expert" not in text
    assert ("Try again" in text) == (kind == "overloaded")


def test_llama_cpp_python_dialect_is_learned_once_and_remembered():
    with OpenAICompatServer(lambda m: "hello", dialect="llama-cpp-python", chunks=2, stream_seconds=0.01) as server:
        model, settings = model_for(server)
        assert words(model, [SYSTEM, msg("user", "New task:\nhi")]) == "hello"
        # refused (the OpenAI client itself asks once more on a 500), then sent with plain-string content
        assert [c.status for c in server.completions] == [500, 500, 200]
        trader = for_role(model, "trader", settings)  # another role of the same server: already knows
        assert words(trader, [SYSTEM, msg("user", "New task:\nhi")]) == "hello"
        assert [c.status for c in server.completions] == [500, 500, 200, 200]
        assert all(isinstance(m["content"], str) for m in server.requests[-1]["messages"])


def test_refused_stream_options_are_dropped_once_learned():
    with OpenAICompatServer(lambda m: "hello", chunks=2, stream_seconds=0.01) as server:
        model, _ = model_for(server)
        server.fail_requests(400, "Unrecognized request argument supplied: stream_options")
        assert words(model, [msg("user", "hi")]) == "hello"
        assert "stream_options" in server.requests[0] and "stream_options" not in server.requests[1]
        assert server.completions[1].stream  # still a stream


# -- bounds ---------------------------------------------------------------------------------------------------------
def test_the_deadline_covers_the_whole_streaming_call():
    with OpenAICompatServer(lambda m: "word " * 400, chunks=200, stream_seconds=20) as server:
        model, _ = model_for(server, MODEL_TIMEOUT_S=1)
        started = time.monotonic()
        with pytest.raises(ModelDeadlineError) as raised:
            words(model, [msg("user", "hi")])
        assert time.monotonic() - started < 3
        assert "MODEL_TIMEOUT_S" in raised.value.user_message


def test_max_tokens_is_sent_per_role_and_a_server_ignoring_it_is_stopped():
    with OpenAICompatServer(lambda m: " ".join(f"w{i}" for i in range(3000)), chunks=300,
                            stream_seconds=0.5) as server:
        model, settings = model_for(server)
        manager, web = for_role(model, "manager", settings), for_role(model, "web_agent", settings)
        with pytest.raises(ModelOutputCapError) as raised:
            words(web, [msg("user", "hi")])
        assert server.requests[-1]["max_tokens"] == 1024 and "MODEL_MAX_OUTPUT_TOKENS" in raised.value.user_message
        with pytest.raises(ModelOutputCapError):
            words(manager, [msg("user", "hi")])
        assert server.requests[-1]["max_tokens"] == 1536


def test_a_setting_caps_every_role():
    with OpenAICompatServer(lambda m: "ok", chunks=1, stream_seconds=0.01) as server:
        model, settings = model_for(server, MODEL_MAX_OUTPUT_TOKENS=77)
        words(for_role(model, "trader", settings), [msg("user", "hi")])
        assert server.requests[-1]["max_tokens"] == 77


def test_output_that_repeats_itself_is_stopped():
    assert repeating("Thought: " + "I will check the price. " * 40)
    assert not repeating("| a | b |\n|---|---|\n" + "".join(f"| {i} | {i * i} |\n" for i in range(60)))
    with OpenAICompatServer(lambda m: "Thought: " + "the price is up. " * 300, chunks=100,
                            stream_seconds=1) as server:
        model, _ = model_for(server)
        with pytest.raises(ModelRepeatingError):
            words(model, [msg("user", "hi")])


def test_a_server_ignoring_stop_sequences_is_cut_at_them():
    with OpenAICompatServer(lambda m: "Thought: x\n<code>\nprint(1)\n</code>\nObservation: made up", chunks=12,
                            stream_seconds=0.1, ignores_stop=True) as server:
        model, _ = model_for(server)
        out = words(model, [msg("user", "hi")], stop_sequences=["</code>", "Observation:"])
        assert out == "Thought: x\n<code>\nprint(1)\n" and model.server.ignores_stop


# -- whole turns through the chat ------------------------------------------------------------------------------------
def chat_env(server: OpenAICompatServer, **env) -> dict:
    return {"OPENAI_API_BASE": server.url, "MODEL_ID": "tiny-model", "MODEL_TIMEOUT_S": 30, **env}


def all_text(items) -> str:
    return "\n".join(str(item.content) for item in items)


def test_a_model_failing_the_format_is_told_once_then_the_turn_ends_plainly(tmp_path):
    from chat.service import ChatService
    from chat.session import Session
    from tests.harness import local_stack

    noise = "I think the price " + " ".join(f"maybe goes to {i} dollars" for i in range(200))  # never code
    with OpenAICompatServer(lambda m: noise, chunks=4, stream_seconds=0.05) as server, \
            local_stack(tmp_path, **chat_env(server, MODEL_FORMAT_STRIKES=2)) as stack:
        chat = ChatService(stack.runtime)
        last = list(chat.respond(Session(id="s-format"), "How is AAPL doing?"))[-1]
        shown = all_text(last)
        assert "could not follow the team's format" in shown and not any(i.kind == "final" for i in last)
        assert len(server.completions) == 3  # two failures, the reminder, one more failure: the turn ends
        told = [m for m in server.requests[-1]["messages"] if "Reply in exactly this form" in str(m["content"])]
        assert len(told) == 1
        # what the failed steps left in memory is bounded: not the whole noise each time
        assert all(len(str(m["content"])) < 2000 for m in server.requests[-1]["messages"][1:])


def test_a_conversation_that_overflowed_works_on_the_next_message(tmp_path):
    from chat.service import ChatService
    from chat.session import Session
    from tests.harness import local_stack
    from tests.scripted_model import final

    with OpenAICompatServer(lambda m: final("AAPL is at 123.45."), chunks=2, stream_seconds=0.05) as server, \
            local_stack(tmp_path, **chat_env(server)) as stack:
        chat = ChatService(stack.runtime)
        session = Session(id="s-overflow")
        server.fail_requests(400, LLAMA_SERVER_CONTEXT_ERROR_SIZED)
        last = list(chat.respond(session, "How is AAPL doing?"))[-1]
        [error] = [i for i in last if i.kind == "error"]
        assert "context window" in error.content and "Try again" not in error.content
        assert len(server.completions) == 1  # sent once
        last = list(chat.respond(session, "And now?"))[-1]
        assert any(i.kind == "final" and "123.45" in str(i.content) for i in last), [(i.kind, i.content) for i in last]


def test_instructions_too_large_for_the_window_are_told_plainly(tmp_path):
    from chat.service import ChatService
    from chat.session import Session
    from tests.harness import local_stack

    with OpenAICompatServer(lambda m: "never asked") as server, \
            local_stack(tmp_path, **chat_env(server, MODEL_CONTEXT_TOKENS=2500)) as stack:
        chat = ChatService(stack.runtime)
        last = list(chat.respond(Session(id="s-small"), "How is AAPL doing?"))[-1]
        [error] = [i for i in last if i.kind == "error"]
        assert "tiny-model" in error.content and "2,500 tokens" in error.content
        assert "MODEL_CONTEXT_TOKENS" in error.content and not server.completions


def test_start_up_says_when_the_server_window_is_too_small_for_the_team():
    from agents.models import choose_model, window_problem

    with OpenAICompatServer(lambda m: "hello") as server:
        _, settings = model_for(server, MODEL_CONTEXT_TOKENS=4096)  # Ollama's default window
        problem = window_problem(settings, choose_model(settings))
        assert "scripted" in problem and "4,096" in problem and "MODEL_CONTEXT_TOKENS" in problem
        forget_profiles()
        _, settings = model_for(server)  # the scripted server does not say: the safe default
        assert window_problem(settings, choose_model(settings)) is None
