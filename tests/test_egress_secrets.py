"""A URL or search query carrying a secret, in any of the spellings we know, is refused before anything is sent."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from core.text import KNOWN_SECRETS
from egress import Egress, EgressError
from standins.web import WebServer
from tools.web import ReadPageTool, WebError, WebSearchTool

SECRET = "sk-live-Zq8vR3mT9xW2yK7p"
VISITOR_TOKEN = "hf_visitorToken0123456789abcd"


def spellings(secret: str) -> dict[str, str]:
    raw = secret.encode()
    return {
        "plain": secret,
        "reversed": secret[::-1],
        "base64": base64.b64encode(raw).decode(),
        "base64, shifted by one byte": base64.b64encode(b"k" + raw).decode(),
        "base64, shifted by two bytes, url-safe, no padding":
            base64.urlsafe_b64encode(b"k=" + raw).decode().rstrip("="),
        "base64 of the reversed value": base64.b64encode(secret[::-1].encode()).decode(),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "url-encoded, every byte": "".join(f"%{b:02X}" for b in raw),
        "url-encoded twice": quote("".join(f"%{b:02X}" for b in raw)),
    }


@pytest.fixture(scope="module")
def web():
    with WebServer() as server:
        server.add_page("/page", "<p>hello</p>")
        yield server


@pytest.mark.parametrize("name, spelled", list(spellings(SECRET).items()))
def test_read_page_refuses_a_url_carrying_a_secret(web, name, spelled):
    web.requests.clear()
    tool = ReadPageTool(timeout_s=3, egress=Egress(allow_private=True, timeout_s=3, secrets=[SECRET]))
    with pytest.raises(WebError, match="carries a secret"):
        tool.forward(f"{web.url}/page?d={spelled}")
    assert web.requests == []


@pytest.mark.parametrize("name, spelled", list(spellings(SECRET).items()))
def test_web_search_refuses_a_query_carrying_a_secret(web, name, spelled):
    web.requests.clear()
    tool = WebSearchTool(web.search_url, timeout_s=3, egress=Egress(secrets=[SECRET]))
    with pytest.raises(WebError, match="search query carries a secret"):
        tool.forward(f"nvidia earnings {spelled}")
    assert web.requests == []


def test_a_clean_url_and_query_still_work(web):
    egress = Egress(allow_private=True, timeout_s=3, secrets=[SECRET])
    assert "hello" in ReadPageTool(timeout_s=3, egress=egress).forward(f"{web.url}/page?q=nvidia")
    assert "URL:" in WebSearchTool(web.search_url, timeout_s=3, egress=egress).forward("graph database")


def test_a_visitor_token_known_at_run_time_is_refused_too(web):
    KNOWN_SECRETS.add(VISITOR_TOKEN)
    web.requests.clear()
    with pytest.raises(EgressError, match="carries a secret"):
        Egress(allow_private=True, timeout_s=3).get(f"{web.url}/page?t={VISITOR_TOKEN[::-1]}")
    assert web.requests == []


def test_a_webhook_payload_carrying_a_secret_is_refused(web):
    with pytest.raises(EgressError, match="message carries a secret"):
        Egress(allow_private=True, timeout_s=3, secrets=[SECRET]).post_json(
            f"{web.url}/hook", {"text": base64.b64encode(SECRET.encode()).decode()})
    assert not [r for r in web.requests if r[1] == "/hook"]


def test_a_configured_webhook_url_may_itself_be_a_secret_but_its_redirects_may_not(web):
    from tests.harness import settings_for

    hook_secret = "hook-Secret-0123456789abcdef"
    web.add_page(f"/hooks/{hook_secret}", "ok")
    egress = Egress.from_settings(settings_for(WEB_ALLOW_PRIVATE_HOSTS="true", OPENAI_API_KEY=hook_secret))
    url = f"{web.url}/hooks/{hook_secret}"
    with pytest.raises(EgressError, match="carries a secret"):
        egress.post_json(url, {"alert": "NVDA crossed 200"})  # a model-chosen URL: refused
    assert egress.post_json(url, {"alert": "NVDA crossed 200"}, url_is_configured=True).status == 200
