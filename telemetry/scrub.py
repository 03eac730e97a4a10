"""Remove secret values from spans and log records before they leave the process.

Belt and braces: the app never puts keys into prompts or tools, but a tool
error message, a stack trace or a person pasting a key into the chat could.
`ScrubbingExporter` sits in front of the real exporter and rewrites every
span whose name, attributes, events, links or status mention a secret;
`scrub_log_records` does the same for every log record of the process. Both
remove every spelling `core.text.scrub` knows (reversed, base64, hex,
URL-encoded), of the given secrets and of those in `core.text.KNOWN_SECRETS`
(visitors' own tokens).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Link, Status

from core.text import KNOWN_SECRETS, scrub

REDACTED = "[REDACTED]"


def secret_variants(secrets: Iterable[str]) -> list[str]:
    """The secrets plus the forms they travel in (URL-quoted, `Bearer x`, header values).

    Longest first, so a longer secret is replaced before a shorter one inside it.
    """
    from opentelemetry.util.re import parse_env_headers

    found: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        found.add(secret)
        found.add(quote(secret, safe=""))
        if "=" in secret:  # an OTEL_EXPORTER_OTLP_HEADERS string: also each header value
            for value in parse_env_headers(secret, liberal=True).values():
                if value:
                    found.add(value)
                    found.update(word for word in value.split() if len(word) >= 8)
    return sorted((s for s in found if s), key=len, reverse=True)


def basic_auth_token(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


class Redactor:
    """Replaces every spelling of any secret in strings (and lists of strings)."""

    def __init__(self, secrets: Iterable[str]):
        self.secrets = secret_variants(secrets)

    def all_secrets(self) -> list[str]:
        return [*self.secrets, *KNOWN_SECRETS.values()]

    def text(self, value: str) -> str:
        secrets = self.all_secrets()
        value = scrub(value, secrets, REDACTED)
        if any(secret in value for secret in secrets):  # the marker itself re-formed a secret
            return ""
        return value

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (list, tuple)):
            return type(value)(self.text(v) if isinstance(v, str) else v for v in value)
        return value

    def attributes(self, attributes: Any) -> dict | None:
        if attributes is None:
            return None
        return {self.text(str(k)): self.value(v) for k, v in attributes.items()}

    def mentions_secret(self, span: ReadableSpan) -> bool:
        """Fast check so clean spans are passed through untouched."""
        parts: list[str] = [span.name, span.status.description or ""]
        parts += _strings(span.attributes)
        for event in span.events:
            parts.append(event.name)
            parts += _strings(event.attributes)
        for link in span.links:
            parts += _strings(link.attributes)
        blob = "\x00".join(parts)
        return scrub(blob, self.all_secrets(), REDACTED) != blob

    def span(self, span: ReadableSpan) -> ReadableSpan:
        if not self.mentions_secret(span):
            return span
        status = span.status
        if status.description:
            status = Status(status.status_code, self.text(status.description))
        return ReadableSpan(
            name=self.text(span.name),
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=self.attributes(span.attributes),
            events=[Event(self.text(e.name), self.attributes(e.attributes), e.timestamp) for e in span.events],
            links=[Link(link.context, self.attributes(link.attributes)) for link in span.links],
            kind=span.kind,
            status=status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )


def _strings(attributes: Any) -> list[str]:
    out: list[str] = []
    for key, value in (attributes or {}).items():
        out.append(str(key))
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, (list, tuple)):
            out.extend(v for v in value if isinstance(v, str))
    return out


class ScrubbingExporter(SpanExporter):
    """Redacts secrets from every span, then hands the batch to `inner`."""

    def __init__(self, inner: SpanExporter, redactor: Redactor):
        self.inner = inner
        self.redactor = redactor

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([self.redactor.span(span) for span in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def scrub_log_records(secrets: Iterable[str]) -> None:
    """From now on, every log record of this process is scrubbed of `secrets` (and `KNOWN_SECRETS`) when created.

    A message that carries a secret is formatted and scrubbed at once, and so is the traceback of a record with
    `exc_info` (handlers print the pre-formatted `exc_text`). Idempotent: a second call only adds secrets.
    """
    for secret in secrets:
        KNOWN_SECRETS.add(secret, lasting=True)
    factory = logging.getLogRecordFactory()
    if getattr(factory, "scrubs_secrets", False):
        return

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        known = KNOWN_SECRETS.values()
        if not known:
            return record
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return record
        cleaned = scrub(message, known)
        if cleaned != message:  # records without a secret keep their msg and args (handlers may read them)
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info), known)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, known)
        return record

    make_record.scrubs_secrets = True
    logging.setLogRecordFactory(make_record)
