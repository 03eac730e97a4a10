"""An OTLP/HTTP trace receiver on 127.0.0.1, for tests and benchmarks.

It speaks the real protocol (OTLP 1.x over HTTP, protobuf bodies, optional
gzip/deflate `Content-Encoding`) and decodes each request with
`opentelemetry-proto`'s `ExportTraceServiceRequest`. Every request is kept
with its path, headers and raw bytes, so tests can check the auth header and
grep the exact bytes that left the process for secrets.

Modes (switchable while running): "ok" answers 200 with an empty
`ExportTraceServiceResponse`; "401" refuses like Langfuse does with bad keys;
"slow" waits `slow_seconds` (5 s) before answering 200; "down" is a port that
nothing listens on (see `OTLPReceiver.down()`).
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from standins import LocalServer

MODES = ("ok", "401", "slow", "down")


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]  # lower-cased names
    raw: bytes  # the body after content-decoding: the serialized protobuf
    request: ExportTraceServiceRequest
    status: int


@dataclass
class ReceivedSpan:
    trace_id: str
    span_id: str
    parent_span_id: str  # "" for a root span
    name: str
    attributes: dict[str, Any]
    resource: dict[str, Any]
    status_code: int
    events: list[tuple[str, dict[str, Any]]]


def any_value(value) -> Any:
    """A Python value from an OTLP `AnyValue`."""
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, which)


def key_values(items) -> dict[str, Any]:
    return {kv.key: any_value(kv.value) for kv in items}


def spans_of(request: ExportTraceServiceRequest) -> list[ReceivedSpan]:
    out = []
    for resource_spans in request.resource_spans:
        resource = key_values(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                out.append(ReceivedSpan(
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_span_id=span.parent_span_id.hex(),
                    name=span.name,
                    attributes=key_values(span.attributes),
                    resource=resource,
                    status_code=span.status.code,
                    events=[(e.name, key_values(e.attributes)) for e in span.events],
                ))
    return out


class OTLPReceiver(LocalServer):
    """Context manager: `with OTLPReceiver() as rx: ... rx.endpoint ... rx.spans()`."""

    def __init__(self, mode: str = "ok", slow_seconds: float = 5.0):
        self.mode = mode
        self.slow_seconds = slow_seconds
        self.requests: list[ReceivedRequest] = []
        self.attempts = 0  # every POST, including refused ones
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._port: int | None = None

    # --- lifecycle ---------------------------------------------------------------
    def start(self) -> OTLPReceiver:
        if self.mode == "down":
            self._port = unused_port()
            return self
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # keep test output clean
                pass

            def do_POST(self):
                receiver._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._port = self._server.server_address[1]
        return self._serve(self._server, "otlp-receiver")




    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def endpoint(self) -> str:
        """The generic OTLP traces URL (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)."""
        return self.base_url + "/v1/traces"

    # --- protocol -------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        encoding = (handler.headers.get("Content-Encoding") or "").lower()
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        with self._lock:
            self.attempts += 1
            mode = self.mode
        if not handler.path.endswith("/v1/traces"):
            return self._reply(handler, 404, b"not found", "text/plain")
        if handler.headers.get("Content-Type") != "application/x-protobuf":
            return self._reply(handler, 415, b"unsupported content type", "text/plain")
        if mode == "401":
            return self._reply(handler, 401, b'{"message":"Invalid credentials"}', "application/json")
        if mode == "slow":
            time.sleep(self.slow_seconds)
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        with self._changed:
            self.requests.append(ReceivedRequest(
                path=handler.path,
                headers={k.lower(): v for k, v in handler.headers.items()},
                raw=body,
                request=request,
                status=200,
            ))
            self._changed.notify_all()
        self._reply(handler, 200, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (slow mode)
            handler.close_connection = True

    # --- what arrived -------------------------------------------------------------------
    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            requests = list(self.requests)
        return [span for r in requests for span in spans_of(r.request)]

    def raw_bytes(self) -> bytes:
        with self._lock:
            return b"".join(r.raw for r in self.requests)

    def wait_for(self, predicate: Callable[[OTLPReceiver], bool], timeout: float = 10.0) -> bool:
        """Wait until `predicate(self)` holds (checked on every request) or `timeout` passes."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                self._lock.release()
                try:
                    if predicate(self):
                        return True
                finally:
                    self._lock.acquire()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(min(remaining, 0.2))


def unused_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, read, released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
