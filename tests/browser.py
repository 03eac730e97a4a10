"""Headless Debian chromium driven by Playwright, for real-browser tests (never downloads a browser)."""

from __future__ import annotations

import contextlib
import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage"]


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Debian chromium not found at {CHROMIUM}: `apt-get install chromium` (.ci/run does)")


@contextlib.contextmanager
def browser_page(url: str, init_script: str | None = None):
    """A page of `url` once the chat's textbox is there; `init_script` runs in every document before its own."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 1400}).new_page()  # more tabs: page.context
            page.set_default_timeout(30_000)
            if init_script:
                page.add_init_script(init_script)
            page.goto(url)
            page.wait_for_selector("#message textarea")
            yield page
        finally:
            browser.close()


def send_message(page, text: str) -> None:
    page.fill("#message textarea", text)
    page.click("#send")


def wait_settled(page, timeout_ms: int = 15_000) -> None:
    """The page as a person sees it once loaded: the load events have answered (the status line names the trading
    mode instead of "…"), no Gradio update is pending, and the page script's debounced layout pass (100 ms) ran."""
    page.wait_for_function("() => { const s = document.querySelector('#status-line');"
                           " return s && s.innerText.includes('Trading:') && !s.innerText.includes('…'); }",
                           timeout=timeout_ms)
    page.wait_for_function("document.querySelectorAll('.pending, .generating').length === 0", timeout=timeout_ms)
    page.wait_for_timeout(300)
