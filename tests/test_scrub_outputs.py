"""Every spelling of a secret (plain, reversed, base64, hex, URL-encoded) is scrubbed from chat, logs and spans."""

from __future__ import annotations

import base64
import logging

import pytest

from chat.session import Session
from core.text import KNOWN_SECRETS, cap, carries_secret, scrub
from standins.otlp import OTLPReceiver
from standins.scripted_model import ScriptedModel, code, final
from telemetry import Tracing
from tests.harness import final_text, local_stack, run_turn, settings_for

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

SECRET = "fakeAlpacaSecretValue0123456789abcdef"
VISITOR_TOKEN = "hf_visitorOwnTokenABCDEF0123456"


def spellings(secret: str) -> list[str]:
    raw = secret.encode()
    return [
        secret,
        secret[::-1],
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(b"x" + raw).decode().rstrip("="),
        base64.b64encode(b"xy" + raw).decode(),
        raw.hex(),
        raw.hex().upper(),
        "".join(f"%{b:02X}" for b in raw),
    ]


def leaked(text: str, secret: str = SECRET) -> list[str]:
    """The spellings still readable in `text` (after undoing a shift, the middle of each is enough)."""
    return [s for s in spellings(secret) if s[2:-2] in text]


def test_scrub_removes_each_spelling_and_keeps_the_rest():
    for spelled in spellings(SECRET):
        cleaned = scrub(f"before {spelled} after", [SECRET])
        assert cleaned.startswith("before ") and cleaned.endswith(" after")
        assert not leaked(cleaned), spelled
        assert carries_secret(f"https://x.example/?d={spelled}", [SECRET])
    assert scrub("nothing secret here", [SECRET]) == "nothing secret here"
    assert not carries_secret("https://example.com/?q=nvidia+earnings", [SECRET])


def test_short_secrets_are_matched_only_as_they_are():
    assert scrub("pin 1234 and 4321", ["1234"]) == "pin *** and ***"  # reversed too
    assert scrub("31323334", ["1234"]) == "31323334"  # its hex would be too common to remove


def test_cap_is_the_one_truncation():
    assert cap("abcdef", 10) == "abcdef"
    assert cap("abcdef", 3) == "abc\n…[truncated 3 characters]"
    assert cap("abcdef", 3, note="{n} more") == "abc\n…[3 more]"


def test_chat_output_never_shows_a_spelling_of_a_secret(tmp_path):
    answer = " | ".join(spellings(SECRET))
    with local_stack(tmp_path, ALPACA_API_KEY="PKFAKEALPACAKEY01234", ALPACA_SECRET_KEY=SECRET) as stack:
        script = [code(f"print({answer!r})", thought=f"the key reversed is {SECRET[::-1]}"), final(answer)]
        chat = stack.chat(lambda: ScriptedModel(script))
        snapshots = run_turn(chat, Session(id="scrub-chat"), "show me the key")
    shown = "\n".join(f"{i.title or ''} {i.content} {i.log or ''}" for snap in snapshots for i in snap)
    assert not leaked(shown)
    assert "***" in final_text(snapshots[-1])


def test_log_records_are_scrubbed_messages_and_tracebacks(tmp_path, caplog):
    with local_stack(tmp_path, ALPACA_API_KEY="PKFAKEALPACAKEY01234", ALPACA_SECRET_KEY=SECRET) as stack:
        stack.chat(lambda: ScriptedModel())  # the chat service installs log scrubbing
    log = logging.getLogger("tests.scrub")
    with caplog.at_level(logging.INFO, logger="tests.scrub"):
        for spelled in spellings(SECRET):
            log.info("calling https://x.example/?k=%s", spelled)
        try:
            raise RuntimeError(f"bad key {base64.b64encode(SECRET.encode()).decode()}")
        except RuntimeError:
            log.exception("the broker refused")
        KNOWN_SECRETS.add(VISITOR_TOKEN)
        log.warning("token %s", VISITOR_TOKEN[::-1])
    text = caplog.text
    assert "calling https://x.example/?k=***" in text and "the broker refused" in text
    assert "RuntimeError: bad key ***" in text
    assert not leaked(text) and not leaked(text, VISITOR_TOKEN)


@pytest.fixture
def receiver():
    with OTLPReceiver() as rx:
        yield rx


def test_spans_leave_the_process_scrubbed(receiver):
    tracing = Tracing.from_settings(settings_for(OTEL_EXPORTER_OTLP_ENDPOINT=receiver.base_url,
                                                 ALPACA_SECRET_KEY=SECRET), export_timeout_s=2.0)
    KNOWN_SECRETS.add(VISITOR_TOKEN)
    try:
        message = "key " + " ".join(spellings(SECRET))
        with tracing.turn("scrub-span", None, message) as trace:
            trace.set_output("token " + " ".join(spellings(VISITOR_TOKEN)))
        assert tracing.flush()
    finally:
        tracing.shutdown()
    payload = receiver.raw_bytes().decode("latin-1")
    assert "[REDACTED]" in payload
    assert not leaked(payload) and not leaked(payload, VISITOR_TOKEN)
