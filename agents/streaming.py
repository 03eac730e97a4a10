"""Streaming the models' words as they come, for the manager and for every member.

- `StreamFallback` is mixed into the model classes we build (agents/models.py): it streams when the server does and
  falls back to whole responses, once and for all for that model, when the server cannot stream (it refuses the
  streaming request as invalid or unsupported, or answers it with no events at all). A transient failure (timeout,
  connection error, 429, 5xx) is raised as is: smolagents' own retry and error handling apply, no second request
  is sent and the model keeps streaming.
- `run_member()` runs a managed agent the way smolagents' `MultiStepAgent.__call__` does (same task and report
  templates), but with `stream=True`, handing each `ChatMessageStreamDelta` to a callback: sub-agents' words reach
  the chat only this way, since step callbacks see finished steps.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from smolagents.memory import FinalAnswerStep
from smolagents.models import (
    ChatMessage,
    ChatMessageStreamDelta,
    ChatMessageToolCallFunction,
    ChatMessageToolCallStreamDelta,
)

from agents.template_cache import populate_template


def as_deltas(message: ChatMessage) -> Iterator[ChatMessageStreamDelta]:
    """A whole response as the one stream delta smolagents' `agglomerate_stream_deltas` turns back into it."""
    calls = None
    if message.tool_calls:
        calls = [
            ChatMessageToolCallStreamDelta(
                index=index, id=call.id, type="function",
                function=ChatMessageToolCallFunction(
                    name=call.function.name,
                    arguments=call.function.arguments if isinstance(call.function.arguments, str)
                    else json.dumps(call.function.arguments),
                ),
            )
            for index, call in enumerate(message.tool_calls)
        ]
    yield ChatMessageStreamDelta(content=message.content or "", tool_calls=calls, token_usage=message.token_usage)


# Statuses by which a server refuses a streaming request it cannot serve (bad parameter, no such endpoint or method,
# unsupported media, not implemented). 408, 409, 429 and other 5xx are transient: asking again without `stream`
# would only double the load on a server that is already failing.
CANNOT_STREAM_STATUSES = frozenset({400, 404, 405, 415, 422, 501})
# Error classes (by name, in any client library) that say "try again later" even without a status.
TRANSIENT_NAMES = ("timeout", "connection", "ratelimit", "serviceunavailable", "internalserver")


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a model client's error (openai, LiteLLM, huggingface_hub, httpx, requests), if any."""
    for holder in (exc, getattr(exc, "response", None)):
        for name in ("status_code", "status"):
            value = getattr(holder, name, None)
            if isinstance(value, int) and 100 <= value <= 599:
                return value
    return None


def is_transient(exc: BaseException) -> bool:
    status = status_of(exc)
    if status is not None:
        return status in (408, 409, 429) or (status >= 500 and status != 501)
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return True
    names = " ".join(cls.__name__.lower() for cls in type(exc).__mro__)
    return any(name in names for name in TRANSIENT_NAMES) or "timed out" in str(exc).lower()


def cannot_stream(exc: BaseException) -> bool:
    """Whether `exc`, raised before a streaming response's first words, says the server cannot stream.

    True for the refusal statuses above, and for an error without a transient status that names streaming (an
    "unsupported parameter: stream" from a server or client library). False for everything transient.
    """
    if is_transient(exc):
        return False
    if status_of(exc) in CANNOT_STREAM_STATUSES:
        return True
    text = str(exc).lower()
    return "stream" in text and any(word in text for word in ("unsupported", "not supported", "does not support",
                                                              "not implemented", "unknown", "invalid"))


class StreamFallback:
    """Mixin for a smolagents model class: `generate_stream` falling back to `generate` when the server cannot stream.

    Mixed in by `streaming()`, whose subclass defines no model method of its own, so telemetry leaves it alone: the
    base class's `generate_stream` / `generate` it calls are instrumented, and each model call is one LLM span.
    """

    streams = True  # becomes False for this model once its server has shown it cannot stream

    def generate_stream(self, messages, *args, **kwargs) -> Iterator[ChatMessageStreamDelta]:
        if self.streams:
            produced = False
            try:
                for delta in super().generate_stream(messages, *args, **kwargs):
                    produced = produced or bool(delta.content or delta.tool_calls)
                    yield delta
            except Exception as exc:
                if produced or not cannot_stream(exc):
                    raise  # words already shown, or a transient failure: smolagents handles it, no second request
                whole = self.generate(messages, *args, **kwargs)  # raises (the real problem) if this fails too
                self.streams = False
                yield from as_deltas(whole)
                return
            if produced:
                return
            self.streams = False  # a streaming request answered with no events: the server ignores `stream`
        yield from as_deltas(self.generate(messages, *args, **kwargs))


_STREAMING_CLASSES: dict[type, type] = {}


def streaming(model_class: type) -> type:
    """`model_class` with `StreamFallback` mixed in (one subclass per class, made once)."""
    if model_class not in _STREAMING_CLASSES:
        _STREAMING_CLASSES[model_class] = type(model_class.__name__, (StreamFallback, model_class),
                                               {"__module__": __name__})
    return _STREAMING_CLASSES[model_class]


def can_stream(model: Any) -> bool:
    return callable(getattr(model, "generate_stream", None))


def run_member(agent: Any, task: str, on_delta: Callable[[ChatMessageStreamDelta], None], **kwargs) -> str:
    """Run a managed agent like `agent(task, **kwargs)` does, forwarding its streamed words to `on_delta`."""
    if not getattr(agent, "stream_outputs", False) or agent.provide_run_summary:
        return agent(task, **kwargs)
    templates = agent.prompt_templates["managed_agent"]
    full_task = populate_template(templates["task"], variables=dict(name=agent.name, task=task))
    report = None
    for event in agent.run(full_task, stream=True, **kwargs):
        if isinstance(event, ChatMessageStreamDelta):
            on_delta(event)
        elif isinstance(event, FinalAnswerStep):
            report = event.output
    return populate_template(templates["report"], variables=dict(name=agent.name, final_answer=report))
