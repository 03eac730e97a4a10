"""Prometheus metrics of one app: a per-app `CollectorRegistry` and every named metric object.

Per app, not prometheus_client's global registry, so several apps in one process (tests,
benchmarks) never clash. Call sites hold the `Metrics` object they were given (None: not counted)
and add one line: `metrics.turns.labels(outcome="done").inc()`. `/metrics` serves `exposition()`.
Names start with `smol_trader_`; counters get `_total` from prometheus_client.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

TURN_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600)
STEP_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60, 120)


class Metrics:
    """Every metric of the app, registered in its own registry."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry = registry if registry is not None else CollectorRegistry()
        self.turns = Counter("smol_trader_turns", "Chat turns (and slash commands) by outcome.", ["outcome"],
                             registry=registry)
        self.turn_seconds = Histogram("smol_trader_turn_seconds", "Wall time of one agent turn.",
                                      buckets=TURN_BUCKETS, registry=registry)
        self.step_seconds = Histogram("smol_trader_step_seconds", "Wall time of one agent step, by agent.", ["agent"],
                                      buckets=STEP_BUCKETS, registry=registry)
        self.model_tokens = Counter("smol_trader_model_tokens", "Model tokens by agent and direction (in/out).",
                                    ["agent", "direction"], registry=registry)
        self.tool_calls = Counter("smol_trader_tool_calls", "Tool calls by tool (agents and MCP).", ["tool"],
                                  registry=registry)
        self.tool_errors = Counter("smol_trader_tool_errors", "Tool calls that failed or returned an error, by tool.",
                                   ["tool"], registry=registry)
        self.market_cache = Counter("smol_trader_market_cache_lookups", "Market-data cache lookups by kind and result "
                                    "(hit/miss).", ["kind", "result"], registry=registry)
        self.market_upstream_errors = Counter("smol_trader_market_upstream_errors", "Failed fetches from the market "
                                              "data provider, by kind and error.", ["kind", "error"],
                                              registry=registry)
        self.orders = Counter("smol_trader_orders",
                              "Confirmed tickets sent to a broker, by broker and outcome status.",
                              ["broker", "status"], registry=registry)
        self.active_sessions = Gauge("smol_trader_active_sessions", "Sessions held in memory.", registry=registry)
        self.running_turns = Gauge("smol_trader_running_turns", "Agent turns running now.", registry=registry)
        self.alerts_fired = Counter("smol_trader_alerts_fired", "Alerts fired (watchlists, price alerts).", ["kind"],
                                    registry=registry)
        self.budget_refusals = Counter("smol_trader_budget_refusals", "Requests refused by a rate limit or budget.",
                                       ["scope"], registry=registry)

    # --- helpers for the call sites --------------------------------------------------------
    def count_tool(self, tool: str, ok: bool) -> None:
        self.tool_calls.labels(tool=tool).inc()
        if not ok:
            self.tool_errors.labels(tool=tool).inc()

    def observe_step(self, agent: str, step: Any) -> None:
        """A smolagents ActionStep/PlanningStep: its duration and token usage."""
        timing = getattr(step, "timing", None)
        duration = getattr(timing, "duration", None)
        if duration is not None:
            self.step_seconds.labels(agent=agent).observe(duration)
        usage = getattr(step, "token_usage", None)
        if usage is not None:
            self.model_tokens.labels(agent=agent, direction="in").inc(usage.input_tokens or 0)
            self.model_tokens.labels(agent=agent, direction="out").inc(usage.output_tokens or 0)

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric."""
        return generate_latest(self.registry)


def instrument_tools(tools: Iterable[Any], metrics: Metrics | None) -> None:
    """Count each call of these smolagents tools (an exception or an "Error: ..." result is an error)."""
    if metrics is None:
        return
    for tool in tools:
        if getattr(tool, "_counted_by", None) is metrics:
            continue
        tool.forward = _counted(tool.forward, tool.name, metrics)
        tool._counted_by = metrics


def _counted(forward, name: str, metrics: Metrics):
    def counted_forward(*args, **kwargs):
        try:
            result = forward(*args, **kwargs)
        except BaseException:
            metrics.count_tool(name, ok=False)
            raise
        metrics.count_tool(name, ok=not (isinstance(result, str) and result.startswith("Error")))
        return result

    counted_forward.__wrapped__ = forward
    return counted_forward


class TurnTimer:
    """One agent turn, from creation to `finish(outcome)`: the running-turns gauge, latency and outcome."""

    def __init__(self, metrics: Metrics | None):
        self.metrics = metrics
        self._started = time.monotonic()
        if metrics is not None:
            metrics.running_turns.inc()

    def finish(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.running_turns.dec()
            self.metrics.turn_seconds.observe(time.monotonic() - self._started)
            self.metrics.turns.labels(outcome=outcome).inc()
