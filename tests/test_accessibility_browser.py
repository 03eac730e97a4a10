"""Accessibility in a real browser: axe-core finds no critical or serious violation (and no moderate one but the
accepted) on the first page, after a turn with nested steps, with a step open, with a chart, with a ticket card before
and after Confirm, with the side panel's sections open, in light and dark and at 400 px; and the page works with the
keyboard alone (send a message, open a step, confirm a ticket, switch conversation), focus always visible.
"""

from __future__ import annotations

import pytest

from tests.axe import assert_accessible
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium, send_message, wait_settled
from tests.live_app import running_app
from tests.scripted_model import ScriptedModel, call, code, final

pytestmark = pytest.mark.browser  # drives Debian's chromium (Playwright)

ANSWER = "AAPL is near its high; I proposed a limit buy below the market."


def scripted_team():
    return {
        "manager": ScriptedModel([code('print(web_agent(task="AAPL news"))', "Ask the web agent."),
                                  code('print(trader(task="Propose buying 1 AAPL with a limit of 100"))',
                                       "Ask the trader."),
                                  final(ANSWER)]),
        "web_agent": ScriptedModel([call("web_search", query="AAPL news"),
                                    call("final_answer", answer="Headlines about AAPL.")]),
        "trader": ScriptedModel([
            code('print(propose_order(symbol="AAPL", side="buy", qty=1, order_type="limit", limit_price=100))',
                 "Propose it."),
            final("Ticket proposed."),
        ]),
    }


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("a11y"), scripted_team) as (url, _stack, _ui):
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_page(browser, url: str, width: int, height: int, scheme: str):
    page = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme).new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{url}?__theme={scheme}")
    page.wait_for_selector("#message textarea")
    wait_settled(page)
    return page


@pytest.mark.parametrize("width,height,scheme", [(1366, 768, "light"), (1366, 768, "dark"), (400, 800, "light")])
def test_no_serious_axe_violations(app_url, browser, width, height, scheme):
    page = open_page(browser, app_url, width, height, scheme)
    where = f"at {width}px {scheme}"
    assert_accessible(page, f"on the first page {where}")

    send_message(page, "What about AAPL?")
    page.get_by_text(ANSWER).last.wait_for()
    assert_accessible(page, f"after a turn with nested steps and a ticket card {where}")
    page.locator("#chatbot").get_by_text("Manager · step 1").first.click()  # a collapsed step, opened
    code_block = page.locator("#chatbot pre code.language-python").first
    code_block.scroll_into_view_if_needed()  # its code, highlighted and in view (axe skips text it cannot see)
    assert_accessible(page, f"with a step open {where}")

    send_message(page, "/chart AAPL 6mo")
    page.locator("#chatbot .js-plotly-plot").first.wait_for()
    summary = page.locator("#chatbot .chart-summary").first
    summary.wait_for()
    assert "AAPL 6mo" in summary.inner_text() and "last close" in summary.inner_text()  # the chart, in words
    assert_accessible(page, f"with a chart {where}")

    send_message(page, "/buy 1 AAPL limit 100")
    page.locator("#chatbot h2", has_text="Buy 1 AAPL").last.wait_for()  # the card's heading: side, qty, symbol
    assert_accessible(page, f"with a pending ticket card {where}")
    page.locator("#chatbot button.option", has_text="Confirm").last.click()
    page.locator("#chatbot").get_by_text("working until filled").first.wait_for()
    page.wait_for_function("document.querySelector('#live-status').textContent.includes('Order placed')")
    assert_accessible(page, f"after Confirm {where}")

    if width <= 768:  # on a phone the side panel is behind its one button
        page.click(".sidebar .toggle-button")
    for section in ("Performance & risk", "Manage"):
        page.get_by_text(section, exact=True).first.click()
    page.wait_for_timeout(400)
    assert_accessible(page, f"with the side panel's sections open {where}")
    page.context.close()


FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const label = el.innerText || el.value || el.getAttribute('aria-label') || '';
  return {id: el.id, tag: el.tagName, text: label.slice(0, 80),
          ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 || style.boxShadow !== 'none',
          inChat: !!el.closest('#chatbot'), message: !!el.closest('#message'), option: el.matches('button.option'),
          step: el.matches('#chatbot [role="button"]'), radio: el.matches('#conversations input')};
}"""


def tab_until(page, want: str, limit: int = 120, backwards: bool = False) -> dict:
    """Press Tab (or Shift+Tab) until the focused element has `want` true; focus must stay visible all along."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focus = page.evaluate(FOCUS)
        if focus is None:
            continue
        assert focus["ring"], f"focus is not visible on {focus}"
        if focus.get(want):
            return focus
    raise AssertionError(f"Tab never reached {want}")


def test_keyboard_only(app_url, browser):
    page = open_page(browser, app_url, 1366, 768, "light")
    tab_until(page, "message")
    page.keyboard.type("/help")
    page.keyboard.press("Enter")
    page.locator("#chatbot").get_by_text("Workspace", exact=True).first.wait_for()

    tab_until(page, "message", backwards=True)
    page.keyboard.type("What about AAPL?")
    page.keyboard.press("Enter")
    page.get_by_text(ANSWER).last.wait_for()

    focus = tab_until(page, "step", backwards=True)  # a collapsed step of the turn: opened with Enter
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert page.evaluate(FOCUS)["step"], focus

    focus = tab_until(page, "option")
    assert focus["text"].startswith("Confirm"), focus
    page.keyboard.press("Enter")
    page.locator("#chatbot").get_by_text("working until filled").first.wait_for()

    focus = tab_until(page, "radio")  # the conversations: a new chat, then back with the arrow keys
    for _ in range(3):
        page.keyboard.press("Shift+Tab")
        if page.evaluate(FOCUS)["id"] == "new-chat":
            break
    assert page.evaluate(FOCUS)["id"] == "new-chat", (focus, page.evaluate(FOCUS))
    page.keyboard.press("Enter")
    page.wait_for_function("!document.querySelector('#chatbot').innerText.includes('What about AAPL?')")
    tab_until(page, "radio")
    page.keyboard.press("Space")
    page.wait_for_function("document.querySelector('#chatbot').innerText.includes('What about AAPL?')")
    page.context.close()
