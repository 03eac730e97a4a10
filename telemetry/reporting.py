"""One warning per export problem, instead of one per batch or retry.

The OTLP exporter logs an error for every failed batch and a warning for every
retry. With a backend down that is a log line every few seconds forever.
`quiet_exporter_logs()` installs a filter on the exporter's logger that keeps
those records from being printed and remembers the last one (per thread: the
export runs in the batch processor's worker thread). `ReportingExporter`
wraps the exporter and, when a batch fails, logs ONE warning for that kind of
problem (HTTP status, or exception type) and stays quiet about repeats. When
exports succeed again it says so once, and a later failure is reported again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import requests
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

log = logging.getLogger("telemetry")

EXPORTER_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.common.http",
)

_last_problem = threading.local()


class _CaptureExporterLogs(logging.Filter):
    """Swallows the exporter's own per-batch records, keeping the last as the problem."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING and not record.msg.startswith("Transient error"):
            _last_problem.record = record
        return False


_filter = _CaptureExporterLogs()


class ProblemRecordingSession(requests.Session):
    """The exporter's HTTP session; remembers the last transport error of this thread.

    The exporter's own log line after retrying until its timeout does not say
    why; this gives the one warning a cause (connection refused, read timeout).
    With `only_headers`, every other request header is dropped: the exporter
    merges OTEL_EXPORTER_OTLP_HEADERS from the environment into every
    exporter, and a key meant for one backend must not be sent to another.
    """

    def __init__(self, only_headers: Iterable[str] | None = None):
        super().__init__()
        self.only_headers = None if only_headers is None else {h.lower() for h in only_headers}

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        if self.only_headers is not None and kwargs.get("headers"):
            kwargs["headers"] = {k: v for k, v in kwargs["headers"].items() if k.lower() in self.only_headers}
        try:
            return super().request(*args, **kwargs)
        except Exception as exc:
            _last_problem.error = exc
            raise


def quiet_exporter_logs() -> None:
    """Idempotently route the OTLP exporter's log records through `ReportingExporter`."""
    for name in EXPORTER_LOGGERS:
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)


def _problem_of(record: logging.LogRecord | None, error: BaseException | None) -> tuple[str, str]:
    """(key, description) for the failure the exporter just logged (`error`: its last transport error)."""
    message = record.msg if record is not None and isinstance(record.msg, str) else ""
    args = record.args if record is not None and isinstance(record.args, tuple) else ()
    if message.startswith("Shutdown in progress") or "already shutdown" in message:
        return "shutdown", "export abandoned because tracing is shutting down"
    if message.startswith("Failed to export %s batch code"):  # args: kind, status code, reason or error
        status, reason = (args[1], args[2]) if len(args) >= 3 else (None, None)
        if status is not None:
            return f"http {status}", f"HTTP {status} {reason or ''}".strip()
        return f"error {type(reason).__name__}", f"{type(reason).__name__}: {_short(reason)}"
    if not message or "due to timeout" in message:
        if error is None:
            return "timeout", "gave up after retrying until the export timeout"
        return (f"timeout {type(error).__name__}",
                f"gave up after retrying until the export timeout; {type(error).__name__}: {_short(error)}")
    return message, _short(record.getMessage())


def _short(value: object, limit: int = 200) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


class ReportingExporter(SpanExporter):
    """Never raises; logs the first failure of each kind for one backend."""

    def __init__(self, inner: SpanExporter, backend_name: str, endpoint: str):
        self.inner = inner
        self.backend_name = backend_name
        self.endpoint = endpoint
        self.reported: set[str] = set()
        self.failures = 0
        self.exported = 0
        self._failing = False
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        _last_problem.record = _last_problem.error = None
        try:
            result = self.inner.export(spans)
            problem = _problem_of(_last_problem.record, _last_problem.error)
        except Exception as exc:  # an exporter bug must not kill the batch worker or spam logs
            result = SpanExportResult.FAILURE
            problem = (f"exception {type(exc).__name__}", f"{type(exc).__name__}: {_short(exc)}")
        if result is SpanExportResult.SUCCESS:
            self._succeeded(len(spans))
        else:
            self._failed(problem)
        return result

    def _succeeded(self, count: int) -> None:
        with self._lock:
            self.exported += count
            recovered, self._failing = self._failing, False
            if recovered:
                self.reported.clear()
        if recovered:
            log.info("Tracing: export to %s works again.", self.backend_name)

    def _failed(self, problem: tuple[str, str]) -> None:
        key, description = problem
        with self._lock:
            self.failures += 1
            self._failing = True
            first = key not in self.reported
            self.reported.add(key)
        if first and key == "shutdown":  # the consequence of a problem already reported, or of a slow exit
            log.info("Tracing: %s; spans still queued for %s were dropped.", description, self.backend_name)
        elif first:
            log.warning("Tracing: could not export traces to %s (%s): %s. The chat is unaffected; "
                        "further failures of this kind are not logged.", self.backend_name, self.endpoint,
                        description)

    def shutdown(self) -> None:
        try:
            self.inner.shutdown()
        except Exception:
            pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)
