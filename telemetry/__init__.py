"""Tracing of chat turns to Langfuse or any OpenTelemetry (OTLP/HTTP) backend.

`Tracing.from_settings(settings)` builds it (disabled when nothing is
configured); `with tracing.turn(session_id, user_id, message, kind) as trace:`
wraps one turn. (The chat line showing a turn's trace id is chat/rendering.py `trace_item`.)
"""

from telemetry.tracing import Tracing, TurnTrace

__all__ = ["Tracing", "TurnTrace"]
