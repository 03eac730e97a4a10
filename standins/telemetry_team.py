"""A small real team and span helpers for the telemetry tests and bench_tracing (moved from the tests; no tests here).

A small but real team: a smolagents `CodeAgent` manager with a managed
`ToolCallingAgent` ("web_agent") that owns one real `Tool`, both driven by
`ScriptedModel`. Spans come from the real openinference instrumentation and
travel through the real OTLP exporter to `standins.otlp.OTLPReceiver`.
"""

from __future__ import annotations

from collections import defaultdict

from smolagents import CodeAgent, Tool, ToolCallingAgent

from core.settings import Settings, load_settings
from standins.otlp import ReceivedSpan
from standins.scripted_model import ScriptedModel, call, code, final

FAKE_SECRETS = {
    "LANGFUSE_PUBLIC_KEY": "pk-lf-FAKEPUBLIC0123456789",
    "LANGFUSE_SECRET_KEY": "sk-lf-FAKESECRET0123456789",
    "ALPACA_API_KEY": "PKFAKEALPACAKEY01234",
    "ALPACA_SECRET_KEY": "fakeAlpacaSecretValue0123456789abcdef",
    "HF_TOKEN": "hf_FAKEhuggingfaceTOKEN0123456789",
    "OPENAI_API_KEY": "sk-FAKEopenaiKEY0123456789",
    "APP_PASSWORD": "fake-app-password-0123",
}


class PriceTool(Tool):
    """A stand-in market tool; `leak` makes its output mention a secret, as a buggy tool might."""

    name = "price_lookup"
    description = "Last traded price of a stock symbol."
    inputs = {"symbol": {"type": "string", "description": "Ticker symbol, e.g. AAPL"}}
    output_type = "string"

    def __init__(self, leak: str = ""):
        super().__init__()
        self.leak = leak

    def forward(self, symbol: str) -> str:
        return f"{symbol} last price 123.45 {self.leak}".strip()


def build_team(answer: str = "AAPL is 123.45", leak: str = "") -> CodeAgent:
    """Manager (CodeAgent) -> web_agent (ToolCallingAgent) -> price_lookup tool."""
    web_agent = ToolCallingAgent(
        tools=[PriceTool(leak=leak)],
        model=ScriptedModel([call("price_lookup", symbol="AAPL"), call("final_answer", answer=answer)],
                            input_tokens=13, output_tokens=5),
        name="web_agent",
        description="Looks up prices.",
        max_steps=3,
        verbosity_level=0,
    )
    return CodeAgent(
        tools=[],
        model=ScriptedModel([code("found = web_agent(task='price of AAPL')\nprint(found)"), final(answer)]),
        managed_agents=[web_agent],
        max_steps=4,
        verbosity_level=0,
    )


def settings_for(env: dict[str, str]) -> Settings:
    return load_settings(env, dotenv_path=None)


def by_trace(spans: list[ReceivedSpan]) -> dict[str, list[ReceivedSpan]]:
    traces: dict[str, list[ReceivedSpan]] = defaultdict(list)
    for span in spans:
        traces[span.trace_id].append(span)
    return dict(traces)


def children(spans: list[ReceivedSpan], parent: ReceivedSpan) -> list[ReceivedSpan]:
    return [s for s in spans if s.parent_span_id == parent.span_id]


def roots(spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
    return [s for s in spans if not s.parent_span_id]
