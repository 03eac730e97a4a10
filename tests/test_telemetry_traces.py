"""Traces of real agent turns, exported over real OTLP/HTTP to a 127.0.0.1 receiver."""

from __future__ import annotations

import base64
import threading

import pytest

from chat.commands import Command, CommandContext, dispatch
from chat.rendering import trace_item
from standins.otlp import OTLPReceiver
from standins.telemetry_team import (
    FAKE_SECRETS,
    build_team,
    by_trace,
    children,
    roots,
    settings_for,
)
from telemetry import Tracing


@pytest.fixture
def receiver():
    with OTLPReceiver() as rx:
        yield rx


@pytest.fixture
def otlp_tracing(receiver):
    tracing = Tracing.from_settings(settings_for({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.base_url}),
                                    export_timeout_s=2.0)
    yield tracing
    tracing.shutdown()


def run_turn(tracing: Tracing, session_id: str, user_id: str | None = None, message: str = "what is AAPL?",
             **team_kwargs):
    team = build_team(**team_kwargs)
    with tracing.turn(session_id, user_id, message) as trace:
        answer = team.run(message)
        trace.set_output(answer)
    return trace, answer


def test_generic_otlp_endpoint_gets_the_turn_with_the_custom_header(receiver):
    env = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint,
           "OTEL_EXPORTER_OTLP_HEADERS": "x-honeycomb-team=fake-team-key-123,x-other=a%20b"}
    tracing = Tracing.from_settings(settings_for(env))
    try:
        trace, _ = run_turn(tracing, "s1")
        assert tracing.flush()
    finally:
        tracing.shutdown()
    assert trace.url is None  # a generic backend: no UI link we know of
    request = receiver.requests[0]
    assert request.path == "/v1/traces"
    assert request.headers["x-honeycomb-team"] == "fake-team-key-123"
    assert request.headers["x-other"] == "a b"
    assert request.headers["content-type"] == "application/x-protobuf"


def test_langfuse_gets_basic_auth_on_its_otlp_path_and_a_trace_link(receiver, monkeypatch):
    # Meant for another backend: the OTLP exporter would merge it into every request; not to Langfuse.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-phoenix-api-key=phoenix-only-123")
    env = {"LANGFUSE_PUBLIC_KEY": "pk-lf-1", "LANGFUSE_SECRET_KEY": "sk-lf-2", "LANGFUSE_HOST": receiver.base_url}
    tracing = Tracing.from_settings(settings_for(env))
    try:
        trace, _ = run_turn(tracing, "s1", user_id="alice")
        assert tracing.flush()
    finally:
        tracing.shutdown()
    request = receiver.requests[0]
    assert request.path == "/api/public/otel/v1/traces"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"pk-lf-1:sk-lf-2").decode()
    assert "x-phoenix-api-key" not in request.headers
    assert trace.url == f"{receiver.base_url}/trace/{trace.trace_id}"
    notice = trace_item(trace.trace_id, trace.url)
    assert notice is not None and notice.kind == "trace"
    assert f"({trace.url})" in notice.content and notice.extra["trace_id"] == trace.trace_id


def test_span_tree_of_a_turn(receiver, otlp_tracing):
    trace, answer = run_turn(otlp_tracing, "sess-tree", user_id="bob", message="what is AAPL?")
    assert otlp_tracing.flush()
    traces = by_trace(receiver.spans())
    assert list(traces) == [trace.trace_id]
    spans = traces[trace.trace_id]

    [root] = roots(spans)
    assert root.name == "chat turn"
    assert root.attributes["openinference.span.kind"] == "CHAIN"
    assert root.attributes["input.value"] == "what is AAPL?"
    assert root.attributes["output.value"] == answer == "AAPL is 123.45"
    label = otlp_tracing.session_label("sess-tree")  # a keyed hash: the raw session id never leaves
    assert root.attributes["langfuse.session.id"] == label != "sess-tree"
    assert root.attributes["langfuse.user.id"] == "bob"
    assert root.status_code == 1  # STATUS_CODE_OK

    [manager_run] = children(spans, root)
    assert manager_run.name == "CodeAgent.run" and manager_run.attributes["openinference.span.kind"] == "AGENT"
    manager_steps = children(spans, manager_run)
    assert [s.name for s in manager_steps] == ["Step 1", "Step 2"]
    step1_children = {s.name: s for s in children(spans, manager_steps[0])}
    assert set(step1_children) == {"ScriptedModel.generate", "web_agent.run"}
    sub_run = step1_children["web_agent.run"]
    assert sub_run.attributes["openinference.span.kind"] == "AGENT"
    sub_steps = children(spans, sub_run)
    assert [s.name for s in sub_steps] == ["Step 1", "Step 2"]
    tool_spans = [s for s in children(spans, sub_steps[0]) if s.attributes["openinference.span.kind"] == "TOOL"]
    assert [s.name for s in tool_spans] == ["PriceTool"]
    assert tool_spans[0].attributes["tool.name"] == "price_lookup"
    assert "123.45" in tool_spans[0].attributes["output.value"]
    assert len(spans) == 14  # root, 2 runs, 4 steps, 4 LLM calls, 3 tool calls (incl. 2 final_answer)

    for span in spans:
        assert span.attributes["session.id"] == label, span.name
        assert span.attributes["user.id"] == "bob", span.name
        assert span.resource["service.name"] == "smol-trader"


def test_token_counts_on_llm_and_agent_spans(receiver, otlp_tracing):
    trace, _ = run_turn(otlp_tracing, "sess-tokens")
    assert otlp_tracing.flush()
    spans = by_trace(receiver.spans())[trace.trace_id]
    llm = [s for s in spans if s.attributes["openinference.span.kind"] == "LLM"]
    assert len(llm) == 4
    counts = sorted((s.attributes["llm.token_count.prompt"], s.attributes["llm.token_count.completion"],
                     s.attributes["llm.token_count.total"]) for s in llm)
    assert counts == [(11, 7, 18), (11, 7, 18), (13, 5, 18), (13, 5, 18)]
    assert all(s.attributes["llm.model_name"] == "scripted-model" for s in llm)
    runs = {s.name: s for s in spans if s.attributes["openinference.span.kind"] == "AGENT"}
    assert runs["web_agent.run"].attributes["llm.token_count.total"] == 2 * 18
    assert runs["CodeAgent.run"].attributes["llm.token_count.prompt"] == 2 * 11


def test_one_trace_per_turn_with_sessions_chatting_concurrently(receiver, otlp_tracing):
    sessions, turns_each = 4, 2
    results: dict[str, list[str]] = {f"sess-{i}": [] for i in range(sessions)}
    errors: list[BaseException] = []
    start = threading.Barrier(sessions)

    def chat(session_id: str) -> None:
        try:
            start.wait()
            for turn in range(turns_each):
                trace, _ = run_turn(otlp_tracing, session_id, message=f"{session_id} turn {turn}")
                results[session_id].append(trace.trace_id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=chat, args=(sid,)) for sid in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert otlp_tracing.flush()

    traces = by_trace(receiver.spans())
    expected = {tid for ids in results.values() for tid in ids}
    assert len(expected) == sessions * turns_each
    assert set(traces) == expected
    for session_id, trace_ids in results.items():
        for number, trace_id in enumerate(trace_ids):
            spans = traces[trace_id]
            [root] = roots(spans)
            assert root.attributes["input.value"] == f"{session_id} turn {number}"
            assert len(spans) == 14
            assert {s.attributes["session.id"] for s in spans} == {otlp_tracing.session_label(session_id)}
            assert all(s.attributes.get("user.id") is None for s in spans)  # nobody logged in


def test_agent_runs_outside_a_turn_are_not_exported(receiver, otlp_tracing):
    build_team().run("not inside a turn")
    with otlp_tracing.turn("sess-x", None, "hello", kind="chat") as trace:
        trace.set_output("hi")
    assert otlp_tracing.flush()
    spans = receiver.spans()
    assert [s.name for s in spans] == ["chat turn"]
    assert spans[0].trace_id == trace.trace_id


def test_slash_commands_and_confirmations_are_traced(receiver, otlp_tracing):
    quote = Command("quote", "/quote SYMBOL", "A price.", lambda ctx, args: f"{args[0]} is 123.45")
    ctx = CommandContext(session=None, runtime=None)
    with otlp_tracing.turn("sess-cmd", "carol", "/quote AAPL", kind="command") as command_trace:
        items = dispatch("/quote AAPL", ctx, {"quote": quote})
        command_trace.set_output(items[0].content)
    with otlp_tracing.turn("sess-cmd", "carol", "confirm ticket t-1", kind="confirm") as confirm_trace:
        confirm_trace.set_output("Order placed")
    assert otlp_tracing.flush()
    traces = by_trace(receiver.spans())
    [command_root] = traces[command_trace.trace_id]
    [confirm_root] = traces[confirm_trace.trace_id]
    assert command_root.name == "command turn"
    assert command_root.attributes["smol_trader.turn.kind"] == "command"
    assert command_root.attributes["langfuse.trace.tags"] == ["command"]
    assert command_root.attributes["output.value"] == "AAPL is 123.45"
    assert confirm_root.name == "confirm turn" and confirm_root.attributes["output.value"] == "Order placed"
    label = otlp_tracing.session_label("sess-cmd")
    assert {r.attributes["session.id"] for r in (command_root, confirm_root)} == {label}


def test_a_failing_turn_is_exported_with_its_error_and_the_error_propagates(receiver, otlp_tracing):
    with pytest.raises(RuntimeError, match="boom"), otlp_tracing.turn("sess-err", None, "hi") as trace:
        raise RuntimeError("boom")
    assert otlp_tracing.flush()
    [root] = by_trace(receiver.spans())[trace.trace_id]
    assert root.status_code == 2  # STATUS_CODE_ERROR
    assert [name for name, _ in root.events] == ["exception"]


def test_no_secret_reaches_the_exported_bytes(receiver):
    """Keys in settings, in a tool's output, in the model's reply and in the person's message: all redacted."""
    env = dict(FAKE_SECRETS, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=receiver.endpoint,
               OTEL_EXPORTER_OTLP_HEADERS="authorization=Bearer%20fake-otlp-bearer-token-42")
    env["LANGFUSE_HOST"] = receiver.base_url
    settings = settings_for(env)
    tracing = Tracing.from_settings(settings)
    try:
        leaked_answer = f"done; key {FAKE_SECRETS['HF_TOKEN']}"
        trace, _ = run_turn(tracing, "sess-secret", message=f"my key is {FAKE_SECRETS['ALPACA_API_KEY']}",
                            answer=leaked_answer, leak=FAKE_SECRETS["ALPACA_SECRET_KEY"])
        assert tracing.flush()
    finally:
        tracing.shutdown()
    assert len(receiver.requests) >= 2  # both backends (Langfuse + generic OTLP) got the turn
    payload = receiver.raw_bytes()
    assert b"price of AAPL" in payload and b"[REDACTED]" in payload  # the turn is there, scrubbed
    basic = base64.b64encode(f"{FAKE_SECRETS['LANGFUSE_PUBLIC_KEY']}:{FAKE_SECRETS['LANGFUSE_SECRET_KEY']}".encode())
    for value in [*FAKE_SECRETS.values(), "fake-otlp-bearer-token-42"]:
        assert value.encode() not in payload, value
    assert basic not in payload
    # The credentials did travel where they belong: in the HTTP headers.
    assert {r.headers.get("authorization") for r in receiver.requests} == {
        "Basic " + basic.decode(), "Bearer fake-otlp-bearer-token-42"}


def test_session_labels_are_keyed_hashes(receiver):
    """SESSION_HASH_SECRET keys the label: replicas sharing it group a session alike; without it, a random key."""
    shared = [Tracing.from_settings(settings_for({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.base_url,
                                                  "SESSION_HASH_SECRET": "configured-secret"})) for _ in range(2)]
    assert shared[0].session_label("abc") == shared[1].session_label("abc") != shared[0].session_label("abd")
    assert Tracing().session_label("abc") != Tracing().session_label("abc") != "abc"
    for tracing in shared:
        tracing.shutdown()
