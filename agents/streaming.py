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

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from smolagents.memory import FinalAnswerStep
from smolagents.models import (
    ChatMessage,
    ChatMessageStreamDelta,
    ChatMessageToolCallFunction,
    ChatMessageToolCallStreamDelta,
)

from agents.context_budget import fit
from agents.model_errors import (
    ModelCallError,
    ModelDeadlineError,
    ModelOutputCapError,
    ModelRepeatingError,
    classify,
    parameter_named,
    requested_tokens,
    status_of,
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
    "unsupported parameter: stream" from a server or client library). False for everything transient, and for a
    refusal that is about something else: the request's size, the model, another parameter, the request's schema
    (those are their own errors, agents/model_errors.py: asking again without `stream` would fail the same way).
    """
    if is_transient(exc):
        return False
    text = str(exc).lower()
    if classify(exc) in ("context", "unknown_model", "dialect") or (
            parameter_named(exc) not in (None, "stream_options") and "'stream'" not in text):
        return False
    if status_of(exc) in CANNOT_STREAM_STATUSES:
        return True
    return "stream" in text and any(word in text for word in ("unsupported", "not supported", "does not support",
                                                              "not implemented", "unknown", "invalid"))


def repeating(text: str, min_span: int = 400, min_repeats: int = 4, max_period: int = 300) -> bool:
    """Whether `text` ends in one piece (8 to `max_period` characters) said again and again over `min_span`."""
    for period in range(8, max_period + 1):
        repeats = max(min_repeats, -(-min_span // period))
        span = period * repeats
        if span > len(text):
            if period * min_repeats > len(text):
                break
            continue
        if text[-span:] == text[-period:] * repeats:
            return True
    return False


def held_tail(text: str, stops: list[str]) -> int:
    """How many characters at the end of `text` could begin a stop sequence (held back until the next words say):
    0 for ordinary text, so words are shown the moment they arrive."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:size]):
                longest = size
                break
    return longest


class StreamFallback:
    """Mixin for a smolagents model class: bounded model calls that fit the context window and speak the server's
    dialect, streaming when the server does (falling back to whole responses when it cannot).

    Mixed in by `streaming()`, whose subclass defines no model method of its own, so telemetry leaves it alone: the
    base class's `generate_stream` / `generate` it calls are instrumented, and each model call is one LLM span.
    Bounds, set by agents/models.py (all optional, so a plain subclass behaves as before):
    - `deadline_s`: the whole call, streaming included; past it the stream is closed and the step says so;
    - `max_tokens` in the model's kwargs: the output cap the server enforces; a server that ignores it is stopped
      here at 1.5 times as many (estimated) tokens; a step's output that repeats itself is stopped too;
    - `server` (agents/model_server.ServerProfile): the server's dialect and context window, shared by every model
      of that server, learned once.
    """

    deadline_s: float | None = None
    server: Any = None  # agents.model_server.ServerProfile, or None: no budget, no dialect learning
    model_label = "the model"

    @property
    def streams(self) -> bool:
        return self._profile().streams

    @streams.setter
    def streams(self, value: bool) -> None:
        self._profile().streams = value

    def _profile(self):
        if self.server is None:
            from agents.model_server import ServerProfile

            self.server = ServerProfile(key=f"instance-{id(self)}", context_tokens=0)
        return self.server

    # -- what every call does first --------------------------------------------------------------
    def _prepare(self, messages: list) -> list:
        profile = self._profile()
        if profile.flatten:  # learned: this server wants plain-string content
            self.flatten_messages_as_text = True
        window = profile.window()
        if not window:
            return messages
        budget = window - int((getattr(self, "kwargs", None) or {}).get("max_tokens") or 0) - 64
        return fit(messages, budget, profile.counter, model=self.model_label, window=window)

    def _learned(self, exc: BaseException, produced: bool) -> bool:
        """Whether `exc` taught us something about the server's dialect (then the request is sent once more)."""
        return not produced and self._profile().learn(exc)

    def _after(self, messages: list, usage: Any, exc: BaseException | None = None) -> None:
        profile = self._profile()
        if usage is not None and getattr(usage, "input_tokens", 0):
            profile.counter.observe(messages, usage.input_tokens)
        if exc is not None and classify(exc) == "context":
            profile.counter.overflowed(messages, requested_tokens(exc))

    def _cap(self) -> int:
        return int((getattr(self, "kwargs", None) or {}).get("max_tokens") or 0)

    # -- calls -------------------------------------------------------------------------------------
    def generate(self, messages, *args, **kwargs):
        messages = self._prepare(messages)
        for attempt in range(3):
            try:
                message = super().generate(messages, *args, **kwargs)
            except Exception as exc:
                self._after(messages, None, exc)
                if attempt < 2 and self._learned(exc, False):
                    self.flatten_messages_as_text = self.flatten_messages_as_text or self._profile().flatten
                    continue
                raise
            self._after(messages, message.token_usage)
            return message
        raise AssertionError("unreachable")

    def generate_stream(self, messages, *args, **kwargs) -> Iterator[ChatMessageStreamDelta]:
        messages = self._prepare(messages)
        deadline = time.monotonic() + self.deadline_s if self.deadline_s else None
        stops = [s for s in (kwargs.get("stop_sequences") or []) if s]
        cap = self._cap()
        attempt = 0
        while self.streams:
            produced, text, checked, sent = False, "", 0, 0
            inner = super().generate_stream(messages, *args, **kwargs)
            try:
                for delta in inner:
                    if deadline is not None and time.monotonic() > deadline:
                        self._cancel(inner)
                        raise self._deadline_error()
                    if delta.content:
                        text += delta.content
                        cut = min((text.find(s) for s in stops if s in text), default=-1)
                        if cut >= 0:  # the server ignored a stop sequence: end the output there ourselves
                            self._profile().ignores_stop = True
                            if cut > sent:
                                yield ChatMessageStreamDelta(content=text[sent:cut])
                            usage = self._usage_after_cut(inner, deadline)
                            if usage is not None:  # the server's own count, when it follows at once
                                self._after(messages, usage)
                                yield ChatMessageStreamDelta(content="", token_usage=usage)
                            self._cancel(inner)
                            return
                        safe = len(text) - held_tail(text, stops)  # only a possible stop sequence's start waits
                        delta = ChatMessageStreamDelta(content=text[sent:safe] if safe > sent else "",
                                                       tool_calls=delta.tool_calls, token_usage=delta.token_usage)
                        sent = max(sent, safe)
                        if len(text) - checked >= 200:
                            checked = len(text)
                            if repeating(text):
                                self._cancel(inner)
                                raise ModelRepeatingError(
                                    f"🔁 {self.model_label} kept writing the same words over and over, so its step "
                                    "was stopped. A larger model follows the team's instructions better.")
                            if cap and self._profile().counter.tokens(text) > 1.5 * cap + 50:
                                self._cancel(inner)
                                raise self._cap_error(cap)
                    produced = produced or bool(text or delta.tool_calls)
                    if delta.token_usage is not None:
                        self._after(messages, delta.token_usage)
                        if cap and delta.token_usage.output_tokens >= cap:
                            yield delta
                            raise self._cap_error(cap)
                    yield delta
                if sent < len(text):
                    yield ChatMessageStreamDelta(content=text[sent:])
            except ModelCallError:
                raise
            except Exception as exc:
                if deadline is not None and time.monotonic() >= deadline - 0.05 and classify(exc) == "unreachable":
                    raise self._deadline_error() from exc  # the client's read timeout is the same deadline
                self._after(messages, None, exc)
                if attempt < 2 and self._learned(exc, produced):
                    attempt += 1
                    self.flatten_messages_as_text = self.flatten_messages_as_text or self._profile().flatten
                    continue
                if produced or not cannot_stream(exc):
                    raise  # words already shown, or not about streaming: no second request
                whole = self.generate(messages, *args, **kwargs)  # raises (the real problem) if this fails too
                self.streams = False
                yield from as_deltas(whole)
                return
            if produced:
                return
            self.streams = False  # a streaming request answered with no events: the server ignores `stream`
        yield from as_deltas(self.generate(messages, *args, **kwargs))

    def _deadline_error(self) -> ModelDeadlineError:
        return ModelDeadlineError(
            f"⏱️ {self.model_label} was still writing after {self.deadline_s:g} s (`MODEL_TIMEOUT_S`), so its step was "
            "stopped. Ask something narrower, or raise `MODEL_TIMEOUT_S` for a slow server.")

    def _cap_error(self, cap: int) -> ModelOutputCapError:
        return ModelOutputCapError(
            f"✂️ {self.model_label} wrote {cap:,} tokens (`MODEL_MAX_OUTPUT_TOKENS`) without finishing its step, so "
            "the step was stopped there. Ask for less at a time, or raise `MODEL_MAX_OUTPUT_TOKENS`.")

    def _usage_after_cut(self, inner: Any, deadline: float | None, events: int = 16):
        """After a stop sequence the server ignored: the token usage, when it comes within the next few events (a
        server that sends the whole answer at once sends its usage right after), else None. Nothing more is shown."""
        for index, delta in enumerate(inner):
            if delta.token_usage is not None:
                return delta.token_usage
            if index + 1 >= events or (deadline is not None and time.monotonic() > deadline):
                return None
        return None

    def _cancel(self, inner: Any) -> None:
        """End the response being streamed: the connection is closed, so the server stops generating."""
        response = self._profile().take_stream()
        with contextlib.suppress(Exception):
            inner.close()
        if response is not None:
            with contextlib.suppress(Exception):
                response.close()


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
