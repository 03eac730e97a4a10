"""In Chromium: the key a browser keeps is its own, and a browser over the day's new-workspace allowance is told so.

The workspace key lives in the page's localStorage (Gradio's BrowserState); `/config` serves BrowserState's secret
but no key. A fresh browser (no stored key) from an address that used its allowance sees the limit's message and
no workspace; the browser that has a key keeps opening its workspace.
"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
import requests
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.live_app import running_app
from tests.scripted_model import ScriptedModel

pytestmark = pytest.mark.browser  # drives Debian's chromium


def team():
    return {"manager": ScriptedModel(), "web_agent": ScriptedModel(), "trader": ScriptedModel()}


def stored_key(page) -> str:
    return page.evaluate("() => window.localStorage.getItem('smol-trader-workspace') || ''")


def read_stored(stored: str, served_secret: str) -> object:
    """What BrowserState stored, read back with nothing but the secret `/config` serves: Gradio's frontend runs
    CryptoJS AES with the passphrase SHA-256(secret) (OpenSSL `Salted__` format, key and IV from EVP_BytesToKey)."""
    _, _, ciphertext = stored.partition(":")
    raw = base64.b64decode(ciphertext)
    assert raw[:8] == b"Salted__"
    salt, body = raw[8:16], raw[16:]
    passphrase = hashlib.sha256(served_secret.encode()).hexdigest().encode()
    derived, block = b"", b""
    while len(derived) < 48:
        block = hashlib.md5(block + passphrase + salt).digest()
        derived += block
    decryptor = Cipher(algorithms.AES(derived[:32]), modes.CBC(derived[32:48])).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    plain = unpadder.update(decryptor.update(body) + decryptor.finalize()) + unpadder.finalize()
    return json.loads(plain)


def test_over_the_allowance_a_new_browser_is_told_and_a_known_one_keeps_its_workspace(tmp_path):
    from playwright.sync_api import sync_playwright

    require_chromium()
    with running_app(tmp_path, team, DATA_DIR=tmp_path / "data", ANON_WORKSPACES_PER_ADDRESS_DAY=1) as (url, _, ui), \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            first = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
            first.goto(url)
            first.wait_for_function("() => window.localStorage.getItem('smol-trader-workspace')")
            first.wait_for_selector("#workspace-summary:has-text('Equity')")
            config = requests.get(url + "config", timeout=10)
            [state] = [c for c in config.json()["components"] if c.get("type") == "browserstate"]
            key = read_stored(stored_key(first), state["props"]["secret"])
            # "Encrypted" with a served secret is plain text to anyone holding the stored value: what is stored is
            # the person's own workspace key, and nothing the server serves to others contains it.
            assert ui.runtime.workspaces.store.resolve_key(key)
            assert key not in config.text

            shots = []
            for theme, size in (("light", (1366, 768)), ("dark", (1366, 768)), ("light", (400, 800)),
                                ("dark", (400, 800))):
                other = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                            color_scheme=theme).new_page()
                other.goto(url + ("?__theme=dark" if theme == "dark" else ""))
                other.wait_for_selector("text=Too many new workspaces from your address today")
                assert "Equity" not in other.inner_text("#workspace-summary")
                other.wait_for_timeout(1000)  # the toast's fade-in, for the screenshot a person looks at
                path = tmp_path / f"over-allowance-{theme}-{size[0]}.png"
                other.screenshot(path=str(path))
                shots.append(path)

            first.reload()
            first.wait_for_selector("#workspace-summary:has-text('Equity')")
            assert "Too many new workspaces" not in first.inner_text("body")
            assert read_stored(stored_key(first), state["props"]["secret"]) == key
        finally:
            browser.close()
