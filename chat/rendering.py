"""Turning agent events into nested chat items.

One `StepRenderer` per turn. It receives the manager's stream events and the
sub-agents' step callbacks (all from the turn's thread) and emits upserts of
`ChatItem`s with Gradio 6 metadata: every manager step is a collapsible parent;
a delegation to `web_agent` / `trader` is a child of the step that made it, and
the member's own steps are children of the delegation. Items are `pending`
(spinner) while running and `done` with duration and token counts after.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from smolagents.memory import ActionStep, FinalAnswerStep, PlanningStep, ToolCall
from smolagents.models import ChatMessageStreamDelta
from smolagents.utils import AgentMaxStepsError

from chat.messages import STATUS_DONE, STATUS_PENDING, ChatItem
from core.text import cap

MEMBER_ICONS = {"web_agent": "🌐", "trader": "📈"}
MAX_SHOWN = 3000

Emit = Callable[[str, Any], None]  # ("upsert", ChatItem) | ("remove", item_id)


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    return cap(text, limit, note="{n} more characters")


def cut_answer(answer: str, limit: int | None) -> tuple[str, str | None]:
    """The final answer cut at `limit` characters, and the note saying so (None when it was not cut). The note is
    an item of its own, so its numbers are not taken for the answer's figures."""
    if limit is None or len(answer) <= limit:
        return answer, None
    return answer[:limit] + " …✂️", (f"✂️ The answer was cut here: {len(answer) - limit:,} more characters were over "
                                      f"the limit of {limit:,} characters an answer may have.")


def tokens_label(step: Any) -> str | None:
    usage = getattr(step, "token_usage", None)
    if usage is None:
        return None
    return f"{usage.input_tokens:,} → {usage.output_tokens:,} tokens"


def split_thought(model_output: str | None, code: str | None) -> str:
    """The model's prose before its code block."""
    text = (model_output or "").strip()
    text = re.split(r"<code>|```(?:py|python)?\n", text, maxsplit=1)[0]
    text = re.sub(r"^\s*Thoughts?:\s*", "", text).strip()
    return text


def code_block(code: str) -> str:
    return f"```python\n{code.strip()}\n```"


def render_action_step(step: ActionStep) -> str:
    parts = []
    thought = split_thought(step.model_output if isinstance(step.model_output, str) else None, step.code_action)
    if thought:
        parts.append(shorten(thought, 1500))
    if step.code_action:
        parts.append(code_block(shorten(step.code_action, 4000)))
    elif step.tool_calls:
        for call in step.tool_calls:
            if call.name == "final_answer":
                continue
            args = call.arguments if isinstance(call.arguments, dict) else {"input": call.arguments}
            shown = ", ".join(f"{k}={v!r}" for k, v in args.items())
            parts.append(f"🛠️ `{call.name}({shorten(shown, 300)})`")
    if step.observations and step.observations.strip():
        logs = re.sub(r"^Execution logs:\s*", "", step.observations.strip())
        parts.append("**Observation**\n```text\n" + shorten(logs, 1500) + "\n```")
    if step.error is not None and not isinstance(step.error, AgentMaxStepsError):
        parts.append(f"💥 **Error:** {shorten(str(step.error), 800)}")
    return "\n\n".join(parts) or "…"


class StepRenderer:
    def __init__(self, emit: Emit, clock: Callable[[], float] = time.time, answer_max_chars: int | None = None):
        self._emit = emit
        self.answer_max_chars = answer_max_chars  # FINAL_ANSWER_MAX_CHARS: a longer final answer is cut
        self._clock = clock
        self._lock = threading.RLock()
        self._step_no = 0
        self._open_step: str | None = None  # id of the manager's pending step item
        self._stream_text = ""
        self._delegations: list[dict] = []  # stack of open delegations
        self._counter = 0
        self.final_answer: str | None = None
        self.hit_max_steps = False
        self._rendered_steps: set[int] = set()

    # -- helpers -------------------------------------------------------------
    def _new_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}-{self._counter}"

    def _upsert(self, item: ChatItem) -> None:
        self._emit("upsert", item)

    def _remove(self, item_id: str) -> None:
        self._emit("remove", item_id)

    # -- the manager -----------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            self._open_manager_step()

    def _open_manager_step(self) -> None:
        self._step_no += 1
        self._stream_text = ""
        self._open_step = f"mgr-{self._step_no}"
        self._upsert(ChatItem(content="Thinking…", title=f"🧠 Manager · step {self._step_no}", id=self._open_step,
                              status=STATUS_PENDING, kind="step"))

    def manager_event(self, event: Any) -> None:
        with self._lock:
            if isinstance(event, ChatMessageStreamDelta):
                if event.content and self._open_step:
                    self._stream_text += event.content
                    self._upsert(ChatItem(content=shorten(self._stream_text),
                                          title=f"🧠 Manager · step {self._step_no}",
                                          id=self._open_step, status=STATUS_PENDING, kind="step"))
            elif isinstance(event, ToolCall):
                if self._open_step and event.name == "python_interpreter":
                    self._upsert(ChatItem(content=code_block(shorten(str(event.arguments), 4000)),
                                          title=f"🧠 Manager · step {self._step_no}", id=self._open_step,
                                          status=STATUS_PENDING, kind="step"))
            elif isinstance(event, ActionStep):
                self._finish_manager_step(event)
            elif isinstance(event, PlanningStep):
                self._upsert(ChatItem(content=shorten(event.plan), title="🗺️ Plan", id=self._new_id("plan"),
                                      status=STATUS_DONE, duration=event.timing.duration, log=tokens_label(event),
                                      kind="plan"))
            elif isinstance(event, FinalAnswerStep):
                self._finish(event.output)

    def _finish_manager_step(self, step: ActionStep) -> None:
        if isinstance(step.error, AgentMaxStepsError):
            self.hit_max_steps = True
            return
        if id(step) in self._rendered_steps:  # smolagents yields the last step again when max_steps is hit
            return
        self._rendered_steps.add(id(step))
        if self._open_step is None:
            self._open_manager_step()
        self._upsert(ChatItem(content=render_action_step(step), title=f"🧠 Manager · step {self._step_no}",
                              id=self._open_step, status=STATUS_DONE, duration=step.timing.duration,
                              log=tokens_label(step), kind="step_error" if step.error else "step"))
        self._open_step = None
        if not step.is_final_answer:
            self._open_manager_step()

    def _finish(self, output: Any) -> None:
        if self._open_step is not None:
            self._remove(self._open_step)
            self._open_step = None
        self.final_answer, cut = cut_answer(str(output) if output is not None else "", self.answer_max_chars)
        if self.hit_max_steps:
            self._upsert(ChatItem(content="⚠️ The team reached its step limit; this is its best answer so far.",
                                  id=self._new_id("notice"), kind="notice"))
        self._upsert(ChatItem(content=self.final_answer or "(no answer)", id="final", kind="final"))
        if cut:
            self._upsert(ChatItem(content=cut, id="answer-cut", kind="notice"))

    # -- members (sub-agents) ----------------------------------------------------
    def delegation_start(self, name: str, task: str) -> None:
        with self._lock:
            parent = self._open_step
            delegation = {"id": self._new_id(f"del-{name}"), "name": name, "task": task, "start": self._clock(),
                          "parent": parent, "steps": 0, "open": None}
            self._delegations.append(delegation)
            self._upsert(self._delegation_item(delegation, STATUS_PENDING))
            self._open_member_step(delegation)

    def _delegation_item(self, d: dict, status: str, duration: float | None = None, error: str = "") -> ChatItem:
        icon = MEMBER_ICONS.get(d["name"], "🤖")
        content = f"**Task:** {shorten(d['task'], 600)}" + (f"\n\n💥 {error}" if error else "")
        return ChatItem(content=content, title=f"{icon} {d['name']}", id=d["id"], parent_id=d["parent"],
                        status=status, duration=duration, kind="delegation")

    def _open_member_step(self, d: dict) -> None:
        d["steps"] += 1
        d["open"] = f"{d['id']}-s{d['steps']}"
        d["stream"] = ""
        self._upsert(ChatItem(content="Working…", title=f"{d['name']} · step {d['steps']}", id=d["open"],
                              parent_id=d["id"], status=STATUS_PENDING, kind="member_step"))

    def _delegation_for(self, name: str) -> dict | None:
        for d in reversed(self._delegations):
            if d["name"] == name:
                return d
        return None

    def member_step(self, name: str, step: Any) -> None:
        with self._lock:
            d = self._delegation_for(name)
            if d is None:
                return
            if isinstance(step, PlanningStep):
                self._upsert(ChatItem(content=shorten(step.plan), title=f"{name} · plan", id=self._new_id("plan"),
                                      parent_id=d["id"], status=STATUS_DONE, duration=step.timing.duration,
                                      kind="plan"))
                return
            if not isinstance(step, ActionStep) or isinstance(step.error, AgentMaxStepsError):
                return
            self._upsert(ChatItem(content=render_action_step(step), title=f"{name} · step {d['steps']}",
                                  id=d["open"], parent_id=d["id"], status=STATUS_DONE, duration=step.timing.duration,
                                  log=tokens_label(step), kind="member_step"))
            self._open_member_step(d)

    def member_delta(self, name: str, delta: ChatMessageStreamDelta) -> None:
        """A member's streamed words, shown in its open step as they come."""
        with self._lock:
            d = self._delegation_for(name)
            if d is None or not d["open"] or not delta.content:
                return
            d["stream"] += delta.content
            self._upsert(ChatItem(content=shorten(d["stream"]), title=f"{name} · step {d['steps']}", id=d["open"],
                                  parent_id=d["id"], status=STATUS_PENDING, kind="member_step"))

    def delegation_end(self, name: str, error: BaseException | None) -> None:
        with self._lock:
            d = self._delegation_for(name)
            if d is None:
                return
            self._delegations.remove(d)
            if d["open"]:
                self._remove(d["open"])
            message = f"{type(error).__name__}: {shorten(str(error), 400)}" if error else ""
            self._upsert(self._delegation_item(d, STATUS_DONE, self._clock() - d["start"], message))

    # -- things tools show to the person --------------------------------------------
    def show(self, item: ChatItem) -> None:
        with self._lock:
            if item.id is None:
                item = item.with_(id=self._new_id(item.kind))
            self._upsert(item)

    def close_pending(self, note: str) -> None:
        """Mark everything still pending as finished (after a stop or a failure)."""
        with self._lock:
            for d in reversed(self._delegations):
                if d["open"]:
                    self._remove(d["open"])
                self._upsert(self._delegation_item(d, STATUS_DONE, self._clock() - d["start"], note))
            self._delegations.clear()
            if self._open_step is not None:
                self._remove(self._open_step)
                self._open_step = None


def trace_item(trace_id: str | None, url: str | None) -> ChatItem | None:
    """The chat line that tells the person which trace holds the turn (a link when the backend has a UI)."""
    if not trace_id:
        return None
    link = f"[{trace_id}]({url})" if url else f"`{trace_id}`"
    return ChatItem(content=f"trace {link}", kind="trace", id="trace", extra={"trace_id": trace_id, "trace_url": url})
