"""The chat message type shared by the turn runner, slash commands and the UI.

A `ChatItem` is one assistant (or user) message. It converts to a Gradio 6
`ChatMessage` for the browser (plotly figures become `gr.Plot`) and to a
JSON-safe dict for API clients (plotly figures become plotly JSON).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

STATUS_PENDING = "pending"
STATUS_DONE = "done"


def is_figure(value: Any) -> bool:
    return type(value).__module__.startswith("plotly.") and hasattr(value, "to_plotly_json")


@dataclass
class ChatItem:
    content: Any  # markdown text, or a plotly Figure
    title: str | None = None
    id: str | None = None
    parent_id: str | None = None
    status: str | None = None
    duration: float | None = None
    log: str | None = None
    role: str = "assistant"
    kind: str = "text"  # text | step | code | tool | observation | error | final | chart | ticket | notice
    extra: dict = field(default_factory=dict)  # machine-readable payload for API clients (e.g. a ticket)

    def metadata(self) -> dict:
        meta = {}
        for key in ("title", "id", "parent_id", "status", "duration", "log"):
            value = getattr(self, key)
            if value is not None:
                meta[key] = round(value, 2) if key == "duration" else value
        return meta

    def with_(self, **changes) -> "ChatItem":
        return replace(self, **changes)

    def to_gradio(self):
        import gradio as gr

        content = gr.Plot(self.content) if is_figure(self.content) else self.content
        return gr.ChatMessage(role=self.role, content=content, metadata=self.metadata())

    def to_json(self) -> dict:
        out: dict[str, Any] = {"role": self.role, "kind": self.kind, "metadata": self.metadata()}
        if is_figure(self.content):
            out["content"] = ""
            out["plotly"] = json.loads(self.content.to_json())
        else:
            out["content"] = str(self.content)
        if self.extra:
            out["extra"] = json.loads(json.dumps(self.extra, default=str))
        return out


def text(content: str, **kwargs) -> ChatItem:
    return ChatItem(content=content, **kwargs)


def chart(figure, title: str | None = None, **kwargs) -> ChatItem:
    return ChatItem(content=figure, kind="chart", title=title, **kwargs)
