"""Tracing of chat turns to Langfuse or any OpenTelemetry (OTLP/HTTP) backend.

`Tracing.from_settings(settings)` builds it (disabled when nothing is
configured); `with tracing.turn(session_id, user_id, message, kind) as trace:`
wraps one turn; `trace_notice(trace)` is the chat item that shows the trace id.
"""

from telemetry.chat import trace_notice
from telemetry.tracing import Tracing, TurnTrace

__all__ = ["Tracing", "TurnTrace", "trace_notice"]
