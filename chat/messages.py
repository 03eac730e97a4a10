"""The chat message type shared by the turn runner, slash commands and the UI.

A `ChatItem` is one assistant (or user) message. It converts to a Gradio 6
`ChatMessage` for the browser (plotly figures become `gr.Plot`) and to a
JSON-safe dict for API clients (plotly figures become plotly JSON).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from safe_render import safe_markdown

STATUS_PENDING = "pending"
STATUS_DONE = "done"
TICKET_OPTION = "ticket:"  # prefix of a ticket card's option values: "ticket:confirm T-3F2A"
# Kinds shown as collapsible "thoughts" (metadata title); everything else is shown open, title inline.
COLLAPSIBLE_KINDS = frozenset({"step", "step_error", "delegation", "member_step", "plan", "figures"})


def is_figure(value: Any) -> bool:
    return type(value).__module__.startswith("plotly.") and hasattr(value, "to_plotly_json")


@dataclass(frozen=True)
class StoredFigure:
    """A plotly figure as saved JSON text: shown and exported without rebuilding a plotly object (fast loads)."""

    plotly_json: str

    def to_plotly_json(self) -> dict:
        return json.loads(self.plotly_json)


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
    display: str | None = None  # markdown shown in the browser instead of `content` (e.g. marked figures)

    @property
    def collapsible(self) -> bool:
        return self.kind in COLLAPSIBLE_KINDS

    def metadata(self) -> dict:
        meta = {}
        keys = ("title", "id", "parent_id", "status", "duration", "log") if self.collapsible else ("id",)
        for key in keys:
            value = getattr(self, key)
            if value is not None:
                meta[key] = round(value, 2) if key == "duration" else value
        return meta

    def with_(self, **changes) -> ChatItem:
        return replace(self, **changes)

    def to_gradio(self):
        import gradio as gr

        if isinstance(self.content, StoredFigure):
            from gradio.components.plot import PlotData

            content = gr.Plot(PlotData(type="plotly", plot=self.content.plotly_json))
        elif is_figure(self.content):
            content = gr.Plot(self.content)
        elif self.title and not self.collapsible and self.title not in str(self.content):
            content = f"**{self.title}**\n\n{self.content}"
        else:
            content = self.content if self.display is None else self.display
        if isinstance(content, str):  # the one point where text becomes browser content: nothing it shows fetches
            content = safe_markdown(content)
        metadata = self.metadata()
        for key in ("title", "log"):
            if isinstance(metadata.get(key), str):
                metadata[key] = safe_markdown(metadata[key])
        if not self.collapsible:
            metadata.pop("id", None)  # an id without a title would still group it as a thought
        return gr.ChatMessage(role=self.role, content=content, metadata=metadata)

    def options(self) -> list[dict]:
        """Confirm / Reject under a pending ticket card (`chatbot.option_select` -> the desk's own code)."""
        ticket = self.extra.get("ticket") if self.kind == "ticket" else None
        if not ticket or ticket.get("status") != "pending":
            return []
        return [{"label": f"Confirm {ticket['id']}", "value": f"{TICKET_OPTION}confirm {ticket['id']}"},
                {"label": f"Reject {ticket['id']}", "value": f"{TICKET_OPTION}reject {ticket['id']}"}]

    def to_json(self) -> dict:
        meta = {key: value for key, value in (("title", self.title), ("id", self.id), ("parent_id", self.parent_id),
                ("status", self.status), ("duration", self.duration), ("log", self.log)) if value is not None}
        out: dict[str, Any] = {"role": self.role, "kind": self.kind, "metadata": meta}
        if isinstance(self.content, StoredFigure):
            out["content"] = ""
            out["plotly"] = self.content.to_plotly_json()
        elif is_figure(self.content):
            out["content"] = ""
            out["plotly"] = json.loads(self.content.to_json())
        else:
            out["content"] = str(self.content)
        if self.extra:
            out["extra"] = json.loads(json.dumps(self.extra, default=str))
        return out


    def to_record(self, figure_json: Callable[[Any], str] | None = None) -> str:
        """This item as one JSON text for the workspace store (a chart's plotly JSON spliced in, not re-parsed)."""
        data = {"role": self.role, "kind": self.kind, "content": "", "title": self.title, "id": self.id,
                "parent_id": self.parent_id, "status": self.status, "duration": self.duration, "log": self.log,
                "extra": self.extra or None}
        data = {k: v for k, v in data.items() if v is not None}
        if isinstance(self.content, StoredFigure):
            figure = self.content.plotly_json
        elif is_figure(self.content):
            figure = figure_json(self.content) if figure_json else self.content.to_json()
        else:
            data["content"] = str(self.content)
            return json.dumps(data, default=str, ensure_ascii=False)
        return '{"plotly": ' + figure + ", " + json.dumps(data, default=str, ensure_ascii=False)[1:]

    @classmethod
    def from_record(cls, record: str) -> ChatItem:
        data = json.loads(record)
        figure = data.pop("plotly", None)
        if figure is not None:
            data["content"] = StoredFigure(json.dumps(figure))
        data["extra"] = data.get("extra") or {}
        return cls(**data)


def to_gradio_messages(items: list[ChatItem]) -> list:
    """Chat messages for the browser. Gradio shows `options` only under the last message, so the Confirm /
    Reject options of the pending ticket cards go there: right under the reply that holds the cards."""
    messages = [item.to_gradio() for item in items]
    options = [option for item in items for option in item.options()]
    if options and messages and messages[-1].role == "assistant":
        messages[-1].options = options
    return messages


def text(content: str, **kwargs) -> ChatItem:
    return ChatItem(content=content, **kwargs)


def chart(figure, title: str | None = None, **kwargs) -> ChatItem:
    return ChatItem(content=figure, kind="chart", title=title, **kwargs)
