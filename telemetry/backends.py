"""Which OTLP/HTTP backends the settings ask for: Langfuse, a generic OTLP endpoint, both or none."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.settings import Settings
from telemetry.scrub import basic_auth_token

LANGFUSE_OTLP_PATH = "/api/public/otel/v1/traces"


@dataclass(frozen=True)
class Backend:
    name: str  # "Langfuse" or "OTLP"
    endpoint: str  # full traces URL
    headers: dict[str, str] = field(repr=False, default_factory=dict)  # carries credentials: never log
    trace_url_template: str | None = None  # "{trace_id}" placeholder; None when the backend has no UI we know
    only_own_headers: bool = False  # True: send no OTEL_EXPORTER_OTLP_HEADERS from the environment to it


@dataclass(frozen=True)
class BackendChoice:
    backends: tuple[Backend, ...]
    problems: tuple[str, ...]  # configuration mistakes worth one warning


def langfuse_backend(settings: Settings) -> Backend:
    host = settings.langfuse_host.rstrip("/")
    token = basic_auth_token(settings.langfuse_public_key.reveal(), settings.langfuse_secret_key.reveal())
    return Backend(
        name="Langfuse",
        endpoint=host + LANGFUSE_OTLP_PATH,
        headers={"authorization": f"Basic {token}"},
        trace_url_template=host + "/trace/{trace_id}",
        only_own_headers=True,
    )


def otlp_backend(settings: Settings) -> Backend:
    from opentelemetry.util.re import parse_env_headers

    headers = dict(parse_env_headers(settings.otel_headers.reveal(), liberal=True)) if settings.otel_headers else {}
    return Backend(name="OTLP", endpoint=settings.otel_endpoint, headers=headers)


def choose_backends(settings: Settings) -> BackendChoice:
    """Every backend the settings configure completely, and what is half-configured."""
    backends: list[Backend] = []
    problems: list[str] = []
    public, secret = bool(settings.langfuse_public_key), bool(settings.langfuse_secret_key)
    if public and secret:
        backends.append(langfuse_backend(settings))
    elif public or secret:
        missing = "LANGFUSE_SECRET_KEY" if public else "LANGFUSE_PUBLIC_KEY"
        problems.append(f"{missing} is not set, so traces are not sent to Langfuse (both keys are needed).")
    if settings.otel_endpoint:
        backends.append(otlp_backend(settings))
    elif settings.otel_headers:
        problems.append("OTEL_EXPORTER_OTLP_HEADERS is set but no OTEL_EXPORTER_OTLP_ENDPOINT: "
                        "nothing is sent to a generic OTLP backend.")
    return BackendChoice(tuple(backends), tuple(problems))
