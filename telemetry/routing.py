"""Route the process-wide smolagents instrumentation to the `Tracing` whose turn is running.

`SmolagentsInstrumentor` patches smolagents classes once per process and binds
one tracer at that moment. We want several independent `Tracing` objects (one
per app, several in tests), each with its own `TracerProvider`, and nothing
recorded outside a turn. So the instrumentor is given a `RoutingTracerProvider`
whose tracer looks up, at span start, the SDK tracer of the turn that is
running in the current context (a `ContextVar` set by `Tracing.turn`). Outside
a turn it hands out the non-recording `INVALID_SPAN`: nothing is exported.

The instrumentor only patches `generate` on model classes that smolagents
itself exports. Models defined elsewhere (an app's fallback wrapper, the test
suite's `ScriptedModel`) override `generate` and would be invisible, so
`instrument_model_classes()` applies openinference's own model wrappers to
every other `smolagents.Model` subclass that defines `generate`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

from opentelemetry.context import Context
from opentelemetry.trace import INVALID_SPAN, Link, Span, SpanKind, Tracer, TracerProvider, use_span
from opentelemetry.util.types import Attributes

log = logging.getLogger(__name__)

_active_tracer: ContextVar[Tracer | None] = ContextVar("telemetry_active_tracer", default=None)

_lock = threading.Lock()
_instrumentor: Any = None  # the SmolagentsInstrumentor once we have instrumented
_wrapped_model_methods: set[tuple[type, str]] = set()


def activate(tracer: Tracer) -> Token:
    """Send instrumentation spans in this context to `tracer` (until `deactivate`)."""
    return _active_tracer.set(tracer)


def deactivate(token: Token) -> None:
    _active_tracer.reset(token)


class RoutingTracer(Tracer):
    """A tracer that forwards to the active turn's tracer, or records nothing.

    openinference's `OITracer` calls `type(wrapped).start_span(oitracer, ...)`,
    so this method must only use module state, never instance attributes.
    """

    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> Span:
        target = _active_tracer.get()
        if target is None:
            return INVALID_SPAN
        return target.start_span(
            name,
            context=context,
            kind=kind,
            attributes=attributes,
            links=links,
            start_time=start_time,
            record_exception=record_exception,
            set_status_on_exception=set_status_on_exception,
        )

    @contextmanager
    def start_as_current_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> Iterator[Span]:
        span = RoutingTracer.start_span(
            self, name, context, kind, attributes, links, start_time, record_exception, set_status_on_exception
        )
        with use_span(span, end_on_exit=end_on_exit, record_exception=record_exception,
                      set_status_on_exception=set_status_on_exception) as current:
            yield current


class RoutingTracerProvider(TracerProvider):
    """Hands out `RoutingTracer`s; given to the instrumentor instead of a real provider."""

    def get_tracer(self, instrumenting_module_name: str, *args: Any, **kwargs: Any) -> Tracer:
        return RoutingTracer()


def ensure_instrumented() -> bool:
    """Instrument smolagents once per process, exporting through the routing provider.

    Returns False (after one warning) when someone else already instrumented
    smolagents with their own provider: we leave theirs alone.
    """
    global _instrumentor
    with _lock:
        if _instrumentor is not None:
            return True
        from openinference.instrumentation.smolagents import SmolagentsInstrumentor

        instrumentor = SmolagentsInstrumentor()
        if instrumentor.is_instrumented_by_opentelemetry:
            log.warning("smolagents is already instrumented by another tracer provider; "
                        "agent spans go there, not to this app's tracing backend.")
            return False
        instrumentor.instrument(tracer_provider=RoutingTracerProvider())
        _instrumentor = instrumentor
        return True


def _model_classes() -> list[type]:
    from smolagents.models import Model

    found: list[type] = []
    pending = [Model]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub not in found:
                found.append(sub)
                pending.append(sub)
    return found


def instrument_model_classes() -> int:
    """Wrap `generate`/`generate_stream` of Model subclasses the instrumentor did not see.

    Cheap and idempotent: called at the start of every turn so classes defined
    after start-up are covered. Returns how many methods were newly wrapped.
    """
    import wrapt
    from openinference.instrumentation.smolagents._wrappers import _ModelStreamWrapper, _ModelWrapper

    if _instrumentor is None:
        return 0
    tracer = _instrumentor._tracer
    wrapped = 0
    for cls in _model_classes():
        for method, wrapper_type in (("generate", _ModelWrapper), ("generate_stream", _ModelStreamWrapper)):
            original = cls.__dict__.get(method)
            if original is None or isinstance(original, wrapt.ObjectProxy) or (cls, method) in _wrapped_model_methods:
                continue
            with _lock:
                if (cls, method) in _wrapped_model_methods:
                    continue
                wrapt.wrap_function_wrapper(cls, method, wrapper_type(tracer=tracer))
                _wrapped_model_methods.add((cls, method))
                wrapped += 1
    return wrapped

