"""`Tracing`: one OpenTelemetry trace per chat turn, exported over OTLP/HTTP.

Why it is built this way:
- Its own `TracerProvider` (never the global one), so an app and each test can
  have an independent tracing setup in one process.
- `BatchSpanProcessor` + an exporter with a bounded timeout: spans are queued
  and sent by a background thread, so a down, slow or refusing backend never
  adds latency to a turn.
- The process-wide smolagents instrumentation is routed to this provider only
  inside `turn()` (see `telemetry.routing`): agents, steps, sub-agents, tools
  and LLM calls nest under the turn's root span; nothing is recorded elsewhere.
- `session.id` / `user.id` are put into the OpenTelemetry context with
  openinference's `using_session` / `using_user`, so every span of the turn
  carries them and Langfuse groups a conversation. The session id is never
  exported as it is (a Gradio session hash acts in its session): spans carry
  `session_label(id)`, an HMAC-SHA256 of it under SESSION_HASH_SECRET (or a
  random per-process key), which groups a chat's turns and opens nothing.
- Exported spans pass through `ScrubbingExporter` (secrets redacted) and
  `ReportingExporter` (one warning per problem).
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import logging
import secrets as secrets_module
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span, StatusCode

from core.settings import Settings
from telemetry import routing
from telemetry.backends import Backend, choose_backends
from telemetry.reporting import ProblemRecordingSession, ReportingExporter, quiet_exporter_logs
from telemetry.scrub import Redactor, ScrubbingExporter

log = logging.getLogger("telemetry")

SERVICE_NAME = "smol-trader"
TURN_KINDS = ("chat", "command", "confirm")
DEFAULT_EXPORT_TIMEOUT_S = 5.0

# OpenInference / Langfuse attribute names used on the turn's root span.
INPUT_VALUE = "input.value"
INPUT_MIME_TYPE = "input.mime_type"
OUTPUT_VALUE = "output.value"
OUTPUT_MIME_TYPE = "output.mime_type"
SPAN_KIND = "openinference.span.kind"
SESSION_ID = "session.id"
USER_ID = "user.id"
LANGFUSE_SESSION_ID = "langfuse.session.id"
LANGFUSE_USER_ID = "langfuse.user.id"
LANGFUSE_TRACE_NAME = "langfuse.trace.name"
LANGFUSE_TRACE_TAGS = "langfuse.trace.tags"
TURN_KIND = "smol_trader.turn.kind"


@dataclass
class TurnTrace:
    """What the chat needs to know about the trace of one turn."""

    trace_id: str | None = None  # 32 hex digits, None when tracing is off
    url: str | None = None  # link to the trace in the backend's UI, when it has one we know
    kind: str = "chat"
    output: str | None = None
    span: Span | None = field(default=None, repr=False)

    def set_output(self, text: object) -> None:
        """Record the turn's final answer on the root span (Langfuse shows it as the trace output)."""
        self.output = "" if text is None else str(text)
        if self.span is not None and self.span.is_recording():
            self.span.set_attribute(OUTPUT_VALUE, self.output)
            self.span.set_attribute(OUTPUT_MIME_TYPE, "text/plain")

    def set_attributes(self, attributes: dict) -> None:
        """Add attributes to the root span (e.g. figure provenance counts, filterable in Langfuse)."""
        if self.span is not None and self.span.is_recording():
            for key, value in attributes.items():
                self.span.set_attribute(key, value)


def _large_span_limits() -> SpanLimits:
    """LLM spans carry one attribute per message part; the default 128 cuts long conversations."""
    return SpanLimits(max_span_attributes=10_000, max_event_attributes=10_000)


def _run_bounded(target, timeout_s: float) -> bool:
    """Run a possibly blocking SDK call in a daemon thread; give up waiting after `timeout_s`."""
    done = threading.Event()

    def run() -> None:
        try:
            target()
        except Exception:
            log.debug("Tracing: %s failed", getattr(target, "__name__", target), exc_info=True)
        finally:
            done.set()

    threading.Thread(target=run, name="telemetry-flush", daemon=True).start()
    return done.wait(timeout_s)


class Tracing:
    """Tracing for the whole app. Disabled (a cheap no-op) when no backend is configured."""

    def __init__(self, backends: Sequence[Backend] = (), secrets: Iterable[str] = (), *,
                 export_timeout_s: float = DEFAULT_EXPORT_TIMEOUT_S, schedule_delay_s: float = 1.0,
                 exporters: Sequence[SpanExporter] | None = None, session_secret: str | bytes | None = None):
        """`exporters` replaces the OTLP exporters built from `backends` (one per backend); `session_secret` keys
        the session ids spans carry (None or empty: a random key for this process)."""
        if isinstance(session_secret, str):
            session_secret = session_secret.encode()
        self._session_key = session_secret or secrets_module.token_bytes(32)
        self.backends = tuple(backends)
        self.export_timeout_s = export_timeout_s
        self.reporters: list[ReportingExporter] = []
        self._provider: TracerProvider | None = None
        self._tracer: trace_api.Tracer | None = None
        self._closed = False
        if not self.backends and not exporters:
            return
        quiet_exporter_logs()
        redactor = Redactor(secrets)
        self._provider = TracerProvider(
            resource=Resource.create({"service.name": SERVICE_NAME}),
            span_limits=_large_span_limits(),
            shutdown_on_exit=False,  # our own bounded shutdown is registered below
        )
        built = list(exporters) if exporters else [self._otlp_exporter(b) for b in self.backends]
        for exporter, backend in zip(built, self.backends or [None] * len(built)):
            reporter = ReportingExporter(
                ScrubbingExporter(exporter, redactor),
                backend_name=backend.name if backend else type(exporter).__name__,
                endpoint=backend.endpoint if backend else "",
            )
            self.reporters.append(reporter)
            self._provider.add_span_processor(BatchSpanProcessor(
                reporter,
                schedule_delay_millis=schedule_delay_s * 1000,
                max_export_batch_size=256,
                max_queue_size=4096,
            ))
        self._tracer = self._provider.get_tracer("smol_trader.telemetry")
        routing.ensure_instrumented()
        atexit.register(self.shutdown)

    def _otlp_exporter(self, backend: Backend) -> SpanExporter:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        only = ({*backend.headers, "content-type", "content-encoding", "user-agent"}
                if backend.only_own_headers else None)
        return OTLPSpanExporter(endpoint=backend.endpoint, headers=dict(backend.headers),
                                timeout=self.export_timeout_s, session=ProblemRecordingSession(only_headers=only))

    @classmethod
    def from_settings(cls, settings: Settings, *, export_timeout_s: float = DEFAULT_EXPORT_TIMEOUT_S,
                      schedule_delay_s: float = 1.0) -> Tracing:
        """Tracing for the configured backends; disabled, silently, when none is configured."""
        choice = choose_backends(settings)
        for problem in choice.problems:
            log.warning("Tracing: %s", problem)
        if not choice.backends:
            return cls()
        tracing = cls(choice.backends, settings.secret_values(), export_timeout_s=export_timeout_s,
                      schedule_delay_s=schedule_delay_s, session_secret=settings.session_hash_secret.reveal())
        log.info("Tracing: %s.", tracing.describe())
        return tracing

    @property
    def enabled(self) -> bool:
        return self._tracer is not None and not self._closed

    def describe(self) -> str:
        if not self.enabled:
            return "tracing is off"
        return "exporting traces to " + ", ".join(f"{b.name} ({b.endpoint})" for b in self.backends)

    def trace_url(self, trace_id: str) -> str | None:
        for backend in self.backends:
            if backend.trace_url_template:
                return backend.trace_url_template.format(trace_id=trace_id)
        return None

    def session_label(self, session_id: str) -> str:
        """What spans carry as `session.id`: a keyed hash of the session id (32 hex digits). The same session always
        gets the same label in this process (or across processes sharing SESSION_HASH_SECRET); the label cannot be
        turned back into the id, so reading the traces gives no one a session to act in."""
        return hmac.new(self._session_key, session_id.encode(), hashlib.sha256).hexdigest()[:32]

    @contextmanager
    def turn(self, session_id: str, user_id: str | None, message: str, kind: str = "chat") -> Iterator[TurnTrace]:
        """One trace for one turn. Run the whole turn (agents, command, confirmation) inside.

        Must be entered in the thread that runs the turn: spans of agents,
        models and tools started in this context nest under the root span.
        """
        if not self.enabled:
            yield TurnTrace(kind=kind)
            return
        routing.instrument_model_classes()
        from openinference.instrumentation import using_session, using_user

        session_id = self.session_label(session_id)  # the raw id never leaves the process
        with ExitStack() as stack:
            stack.enter_context(using_session(session_id))
            if user_id:
                stack.enter_context(using_user(user_id))
            attributes = {
                SPAN_KIND: "CHAIN",
                INPUT_VALUE: str(message),
                INPUT_MIME_TYPE: "text/plain",
                SESSION_ID: session_id,
                LANGFUSE_SESSION_ID: session_id,
                LANGFUSE_TRACE_NAME: f"{kind} turn",
                LANGFUSE_TRACE_TAGS: [kind],
                TURN_KIND: kind,
            }
            if user_id:
                attributes[USER_ID] = user_id
                attributes[LANGFUSE_USER_ID] = user_id
            # An empty Context: the turn always starts a new trace, whatever span is current.
            span = self._tracer.start_span(f"{kind} turn", context=context_api.Context(), attributes=attributes)
            trace_id = format(span.get_span_context().trace_id, "032x")
            handle = TurnTrace(trace_id=trace_id, url=self.trace_url(trace_id), kind=kind, span=span)
            stack.callback(span.end)
            route = routing.activate(self._tracer)
            stack.callback(routing.deactivate, route)
            with trace_api.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
                try:
                    yield handle
                except BaseException as exc:
                    span.record_exception(exc)
                    span.set_status(StatusCode.ERROR, f"{type(exc).__name__}")
                    raise
                else:
                    span.set_status(StatusCode.OK)

    def flush(self, timeout_s: float | None = None) -> bool:
        """Export what is queued now. True when it finished within `timeout_s` (whatever the backend said)."""
        if self._provider is None or self._closed:
            return True
        return _run_bounded(self._provider.force_flush, self.export_timeout_s + 1 if timeout_s is None else timeout_s)

    def shutdown(self, timeout_s: float | None = None) -> bool:
        """Flush and stop, waiting at most `timeout_s` (default: the export timeout + 1 s). Idempotent."""
        if self._provider is None or self._closed:
            return True
        self._closed = True
        try:
            atexit.unregister(self.shutdown)
        except Exception:
            pass
        return _run_bounded(self._provider.shutdown, self.export_timeout_s + 1 if timeout_s is None else timeout_s)
