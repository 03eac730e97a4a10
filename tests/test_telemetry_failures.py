"""A backend that is down, refusing (401) or slow never breaks a turn and logs one warning per problem.

Latency is not measured here (no timed tests): benchmarks/bench_tracing.py
prints the turn latency for each backend state.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from standins.otlp import OTLPReceiver
from standins.telemetry_team import build_team, settings_for
from telemetry import Tracing

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

TURNS = 3


def warnings_from(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def chat_turns(tracing: Tracing, turns: int = TURNS) -> list[str]:
    answers = []
    for number in range(turns):
        with tracing.turn("sess-f", None, f"turn {number}") as trace:
            answer = build_team().run(f"turn {number}")
            trace.set_output(answer)
        answers.append(answer)
        tracing.flush()  # each turn's batch is its own export attempt
    return answers


@pytest.mark.parametrize("mode, problem", [
    ("401", "HTTP 401"),
    ("down", "ConnectionError"),
    ("slow", "ReadTimeout"),
])
def test_a_failing_backend_does_not_break_turns_and_warns_once(mode, problem, caplog):
    caplog.set_level(logging.INFO)
    with OTLPReceiver(mode=mode, slow_seconds=5.0) as receiver:
        tracing = Tracing.from_settings(settings_for({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.base_url}),
                                        export_timeout_s=1.0)
        try:
            answers = chat_turns(tracing)
        finally:
            tracing.shutdown(timeout_s=3)
    assert answers == ["AAPL is 123.45"] * TURNS
    [reporter] = tracing.reporters
    assert reporter.failures >= TURNS and reporter.exported == 0
    found = warnings_from(caplog)
    assert len(found) == 1, [r.getMessage() for r in found]
    assert found[0].name == "telemetry" and problem in found[0].getMessage()
    assert receiver.base_url in found[0].getMessage()
    if mode != "slow":  # a slow receiver does store what it answers (too late) after 5 s
        assert receiver.requests == []
    if mode != "down":
        assert receiver.attempts >= TURNS  # it really was asked each time


def test_recovery_is_logged_and_spans_flow_again(caplog):
    caplog.set_level(logging.INFO)
    with OTLPReceiver(mode="401") as receiver:
        tracing = Tracing.from_settings(settings_for({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.base_url}))
        try:
            chat_turns(tracing, turns=2)
            receiver.mode = "ok"
            chat_turns(tracing, turns=1)
            receiver.mode = "401"
            chat_turns(tracing, turns=2)
        finally:
            tracing.shutdown()
        assert len({s.trace_id for s in receiver.spans()}) == 1
    messages = [r.getMessage() for r in caplog.records if r.name == "telemetry"]
    assert [m.split(" (")[0] for m in messages[1:]] == [
        "Tracing: could not export traces to OTLP", "Tracing: export to OTLP works again.",
        "Tracing: could not export traces to OTLP"]


class BrokenExporter(SpanExporter):
    """An exporter with a bug: raises instead of returning FAILURE."""

    def __init__(self):
        self.calls = 0

    def export(self, spans: Sequence) -> SpanExportResult:
        self.calls += 1
        raise ValueError("exporter bug")

    def shutdown(self) -> None:
        pass


def test_an_exporter_that_raises_is_contained(caplog):
    caplog.set_level(logging.INFO)
    broken = BrokenExporter()
    tracing = Tracing(exporters=[broken])
    try:
        assert chat_turns(tracing, turns=2) == ["AAPL is 123.45"] * 2
    finally:
        tracing.shutdown()
    assert broken.calls >= 2
    found = warnings_from(caplog)
    assert len(found) == 1 and "ValueError: exporter bug" in found[0].getMessage()
