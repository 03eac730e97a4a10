"""Which backends the settings turn on, and what tracing does when none is configured."""

from __future__ import annotations

import logging
import warnings

from hypothesis import given
from hypothesis import strategies as st

from chat.rendering import trace_item
from standins.telemetry_team import FAKE_SECRETS, build_team, settings_for
from telemetry import Tracing
from telemetry.backends import choose_backends
from telemetry.scrub import REDACTED, Redactor, secret_variants


def test_nothing_configured_means_no_exporter_no_warnings_and_a_plain_turn(caplog):
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tracing = Tracing.from_settings(settings_for({}))
        assert not tracing.enabled
        assert tracing.reporters == [] and tracing._provider is None
        with tracing.turn("s1", None, "what is AAPL?") as trace:
            answer = build_team().run("what is AAPL?")
            trace.set_output(answer)
        assert tracing.flush() and tracing.shutdown()
    assert answer == "AAPL is 123.45"
    assert trace.trace_id is None and trace.url is None and trace.output == answer
    assert trace_item(trace.trace_id, trace.url) is None
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert tracing.describe() == "tracing is off"


def test_langfuse_defaults_to_langfuse_cloud_with_basic_auth():
    choice = choose_backends(settings_for({"LANGFUSE_PUBLIC_KEY": "pk", "LANGFUSE_SECRET_KEY": "sk"}))
    [backend] = choice.backends
    assert backend.endpoint == "https://cloud.langfuse.com/api/public/otel/v1/traces"
    assert backend.headers == {"authorization": "Basic cGs6c2s="}  # base64("pk:sk")
    assert backend.trace_url_template.format(trace_id="ab12") == "https://cloud.langfuse.com/trace/ab12"
    assert "cGs6c2s" not in repr(backend)
    assert choice.problems == ()


def test_self_hosted_langfuse_and_a_generic_endpoint_together():
    env = {"LANGFUSE_PUBLIC_KEY": "pk", "LANGFUSE_SECRET_KEY": "sk", "LANGFUSE_HOST": "https://lf.example.org/",
           "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_EXPORTER_OTLP_HEADERS": "api-key=xyz"}
    langfuse, otlp = choose_backends(settings_for(env)).backends
    assert langfuse.endpoint == "https://lf.example.org/api/public/otel/v1/traces"
    assert (otlp.endpoint, otlp.headers, otlp.trace_url_template) == ("http://collector:4318/v1/traces",
                                                                      {"api-key": "xyz"}, None)


def test_half_configured_langfuse_warns_once_and_stays_off(caplog):
    caplog.set_level(logging.WARNING)
    tracing = Tracing.from_settings(settings_for({"LANGFUSE_PUBLIC_KEY": "pk-lf-only"}))
    assert not tracing.enabled
    [record] = caplog.records
    assert "LANGFUSE_SECRET_KEY" in record.getMessage() and "pk-lf-only" not in record.getMessage()


def test_headers_without_an_endpoint_are_reported():
    choice = choose_backends(settings_for({"OTEL_EXPORTER_OTLP_HEADERS": "a=b"}))
    assert choice.backends == () and "OTEL_EXPORTER_OTLP_ENDPOINT" in choice.problems[0]


def test_describe_names_backends_without_credentials():
    env = dict(FAKE_SECRETS, LANGFUSE_HOST="http://127.0.0.1:9")
    tracing = Tracing.from_settings(settings_for(env))
    try:
        assert tracing.enabled
        text = tracing.describe()
        assert "Langfuse (http://127.0.0.1:9/api/public/otel/v1/traces)" in text
        assert not any(secret in text for secret in FAKE_SECRETS.values())
    finally:
        tracing.shutdown(timeout_s=0.5)
    assert not tracing.enabled


def test_secret_variants_cover_header_strings_and_quoting():
    variants = secret_variants(["Authorization=Bearer%20tok-123456789", "a b/c"])
    assert "Bearer tok-123456789" in variants and "tok-123456789" in variants
    assert "a%20b%2Fc" in variants
    assert variants == sorted(variants, key=len, reverse=True)


text_parts = st.text(max_size=30)


@given(secret=st.text(min_size=1, max_size=20), before=text_parts, after=text_parts)
def test_redacted_text_never_contains_the_secret(secret, before, after):
    redactor = Redactor([secret])
    cleaned = redactor.text(before + secret + after)
    assert secret not in cleaned
    assert redactor.value([before + secret, 3]) == [redactor.text(before + secret), 3]


def test_redaction_keeps_the_rest_of_the_text():
    assert Redactor(["sk-123456"]).text("key sk-123456 end") == f"key {REDACTED} end"
