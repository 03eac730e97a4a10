"""A real browser: chat, buy and confirm with the button under the ticket card, reload, follow up; another
browser (context) is another workspace; two tabs of one workspace share it."""

from __future__ import annotations

import re

import pytest

from standins.live_app import running_app
from standins.scripted_model import ScriptedModel, code, final
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium, send_message

pytestmark = pytest.mark.browser  # drives Debian's chromium (Playwright)

PROPOSED = "I proposed the order; please confirm or reject the ticket."


def _seen(messages) -> str:
    parts = []
    for message in messages:
        content = message.content if hasattr(message, "content") else message.get("content")
        parts += [str(c.get("text", "")) for c in content] if isinstance(content, list) else [str(content)]
    return "\n".join(parts)


def manager_reply(messages):
    seen = _seen(messages)
    task = seen.split("New task:")[-1]
    if "Buy 3 AAPL" in task:
        if "Observation" in task:
            return final(PROPOSED)
        return code('print(trader(task="Propose buying 3 AAPL with a limit of 1000"))', "Ask the trader.")
    if "follow-up" in task:
        return final("Earlier answer seen: " + ("yes" if PROPOSED in seen else "no"))
    return final("ok")


def trader_reply(messages):
    if "Observation" in _seen(messages).split("New task:")[-1]:
        return final("Ticket proposed.")
    return code('print(propose_order(symbol="AAPL", side="buy", qty=3, order_type="limit", limit_price=1000))',
                "Propose it.")


def scripted_team():
    return {"manager": ScriptedModel(default=manager_reply), "web_agent": ScriptedModel(),
            "trader": ScriptedModel(default=trader_reply)}


def chat_text(page) -> str:
    return page.inner_text("#chatbot")


def open_page(context, url):
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.wait_for_selector("#message textarea")
    return page


def test_workspace_survives_reload_and_is_private(tmp_path):
    from playwright.sync_api import sync_playwright

    require_chromium()
    with running_app(tmp_path, scripted_team) as (url, stack, ui), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            mine = browser.new_context(viewport={"width": 1280, "height": 1400})
            page = open_page(mine, url)
            send_message(page, "/chart AAPL 1y")
            page.wait_for_selector("#chatbot .js-plotly-plot")
            send_message(page, "Buy 3 AAPL for me")
            page.get_by_text(PROPOSED, exact=True).wait_for()
            [ticket] = set(re.findall(r"Order ticket (T-[0-9A-F]{4})", chat_text(page)))
            page.wait_for_function(f"document.querySelector('#workspace-summary')?.innerText.includes('{ticket}')")
            assert page.input_value("#tickets input") .startswith(ticket)  # the one pending ticket is preselected
            page.locator("#chatbot button", has_text="Confirm").first.click()  # one click, under the card
            page.get_by_text(re.compile(f"Ticket {ticket}: (filled|order placed)")).first.wait_for()
            page.wait_for_function("document.querySelector('#workspace-summary')?.innerText.includes('AAPL: 3')")
            assert page.locator("#chatbot button", has_text="Confirm").count() == 0  # decided: no live buttons

            second_tab = open_page(mine, url)  # same browser: same workspace
            second_tab.get_by_text(PROPOSED, exact=True).wait_for()
            assert "AAPL: 3" in second_tab.inner_text("#workspace-summary")
            assert second_tab.locator("#chatbot button", has_text="Confirm").count() == 0
            second_tab.close()

            page.reload()
            page.wait_for_selector("#message textarea")
            page.get_by_text(PROPOSED, exact=True).wait_for()
            page.wait_for_selector("#chatbot .js-plotly-plot")  # the chart came back
            assert re.search(f"Ticket {ticket}: (filled|order placed)", chat_text(page))
            page.wait_for_function("document.querySelector('#workspace-summary')?.innerText.includes('AAPL: 3')")
            assert "Chart AAPL 1y" in page.inner_text("#conversations")  # titled by its first message, without the /

            send_message(page, "A follow-up: what did you say?")
            page.get_by_text("Earlier answer seen: yes", exact=True).wait_for()

            other = browser.new_context(viewport={"width": 1280, "height": 1400})
            stranger = open_page(other, url)
            stranger.wait_for_function("document.querySelector('#workspace-summary')?.innerText.includes('No open')")
            assert PROPOSED not in chat_text(stranger) and "Chart AAPL" not in stranger.inner_text("#conversations")
            page.screenshot(path=str(tmp_path / "workspace.png"), full_page=True)
        finally:
            browser.close()
