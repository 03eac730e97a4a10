"""The small chat line that tells the person which trace holds this turn."""

from __future__ import annotations

from agents.messages import ChatItem
from telemetry.tracing import TurnTrace


def trace_notice(trace: TurnTrace) -> ChatItem | None:
    """A notice with the trace id (a link when the backend has a UI), or None when tracing is off."""
    if not trace.trace_id:
        return None
    label = f"`{trace.trace_id}`"
    shown = f"[{label}]({trace.url})" if trace.url else label
    return ChatItem(content=f"Trace {shown}", kind="notice", extra={"trace_id": trace.trace_id, "trace_url": trace.url})
