"""A real browser at 1366x768 and 400x800, light and dark: the page fits the screen and tells the truth.

The composer is fully visible on load and after replies; nothing scrolls sideways; every /help line is clean (no
stray backticks or split cells); a chart's background follows the theme; the ticket card of a resting limit order
shows the last price and, after Confirm, says the order was placed and is working (no countdown); the side panel
never offers a decided ticket.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium, send_message, wait_settled
from tests.live_app import running_app
from tests.scripted_model import ScriptedModel

pytestmark = pytest.mark.browser  # drives Debian's chromium (Playwright)

VIEWS = [(1366, 768, "light"), (1366, 768, "dark"), (400, 800, "light"), (400, 800, "dark")]
LAST_AAPL = "$244.60"  # the recorded Yahoo quote the replay server answers

FITS = """() => {
  const box = document.querySelector('#message textarea').getBoundingClientRect();
  const send = document.querySelector('#send').getBoundingClientRect();
  const root = document.scrollingElement;
  return {top: box.top, bottom: Math.max(box.bottom, send.bottom), height: innerHeight,
          sideways: root.scrollWidth - root.clientWidth, send_right: send.right, width: innerWidth};
}"""


def assert_fits(page, when: str) -> None:
    box = page.evaluate(FITS)
    assert box["top"] >= 0 and box["bottom"] <= box["height"], f"composer not fully visible {when}: {box}"
    assert box["send_right"] <= box["width"], f"Send is off-screen {when}: {box}"
    assert box["sideways"] <= 0, f"the page scrolls sideways {when}: {box}"


def chart_background(page) -> dict:
    """The chart's own background and the colour a person sees behind it (the first opaque one up the tree), with
    that colour's luminance (0 black, 1 white)."""
    return page.evaluate("""() => {
      const svg = document.querySelector('#chatbot .js-plotly-plot .main-svg');
      const own = getComputedStyle(svg).backgroundColor;
      let el = svg, seen = own;
      while (el && (/rgba\\(.*, 0\\)$/.test(seen) || seen === 'transparent')) {
        el = el.parentElement;
        seen = el ? getComputedStyle(el).backgroundColor : 'rgb(255, 255, 255)';
      }
      const [r, g, b] = seen.match(/[0-9.]+/g).map(Number);
      return {own, seen, luminance: (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255};
    }""")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("face")
    with running_app(tmp, lambda: ScriptedModel()) as (url, _stack, _ui):
        yield url


def test_the_page_fits_and_the_ticket_card_tells_the_truth(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for width, height, scheme in VIEWS:
                context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
                page = context.new_page()
                page.set_default_timeout(30_000)
                page.goto(f"{app_url}?__theme={scheme}")
                page.wait_for_selector("#message textarea")
                wait_settled(page)  # measured as a person sees it, not while the load events still answer
                view = f"at {width}x{height} {scheme}"
                assert_fits(page, f"on load {view}")
                assert page.locator("#chatbot").get_by_text("/help").first.is_visible()  # examples in the chat
                assert page.evaluate("document.activeElement.closest('#message') === null")  # no autofocus jump

                send_message(page, "/help")
                page.get_by_text("Workspace", exact=True).first.wait_for()
                lines = page.locator("#chatbot li").all_inner_texts()
                assert len(lines) >= 25, lines
                for line in lines:  # every command: its usage, a dash, what it does; no broken markdown
                    assert "`" not in line and " — " in line and line.startswith("/"), line
                for group in ("Market", "Analysis", "Trading", "Lab", "Alerts", "Workspace"):
                    assert page.locator("#chatbot").get_by_text(group, exact=True).count() >= 1, group
                assert_fits(page, f"after /help {view}")

                send_message(page, "/chart AAPL 6mo")
                page.locator("#chatbot .js-plotly-plot").first.wait_for()
                page.wait_for_timeout(500)
                background = chart_background(page)  # the app's template: transparent, the bubble shows through
                assert background["own"] in ("rgba(0, 0, 0, 0)", "transparent"), background
                if scheme == "dark":
                    assert background["luminance"] < 0.3, background
                else:
                    assert background["luminance"] > 0.85, background
                assert_fits(page, f"after a chart {view}")

                send_message(page, "/buy 1 AAPL limit 100")
                card = page.locator("#chatbot h2", has_text="Order ticket").last
                card.wait_for()
                heading = card.inner_text()
                assert re.search(r"Buy 1 AAPL · limit \$100\.00 · Order ticket T-[0-9A-F]{4}", heading), heading
                ticket = heading.rsplit(" ", 1)[-1]
                text = page.inner_text("#chatbot")
                assert f"Last price {LAST_AAPL}" in text and "Est. cost $100.00" in text
                assert "would rest until the price reaches $100.00" in text
                page.locator("#tickets input").wait_for()  # pending: the panel offers it (on a phone, behind its
                assert ticket in page.locator("#tickets input").input_value()  # button, still in the page)

                confirm = page.locator("#chatbot button.option", has_text=f"Confirm {ticket}")
                confirm.scroll_into_view_if_needed()
                confirm.click()
                outcome = page.locator("#chatbot").get_by_text(
                    "limit buy 1 AAPL at $100.00, working until filled or the day's close").first
                outcome.wait_for()
                page.wait_for_function(f"""() => [...document.querySelectorAll('#chatbot h2')]
                    .some(h => h.innerText.includes('{ticket}'))""")
                card_text = page.evaluate(f"""() => [...document.querySelectorAll('#chatbot .message')]
                    .map(m => m.innerText).find(t => t.includes('Order ticket {ticket}'))""")
                assert "Order placed" in card_text and "expires" not in card_text, card_text  # no countdown
                assert page.locator("#chatbot button.option", has_text=ticket).count() == 0  # decided: no buttons
                page.locator("#tickets input").wait_for(state="hidden")  # nothing pending: no tickets section
                assert_fits(page, f"after Confirm {view}")
                page.screenshot(path=str(tmp_path / f"face-{width}-{scheme}.png"))
                context.close()
        finally:
            browser.close()


def test_times_are_shown_in_the_browsers_zone_with_utc_on_hover(app_url):
    """A reply's "YYYY-MM-DD HH:MM UTC" and the panel's "as of" read in the person's zone; hovering shows UTC."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 768}, timezone_id="Asia/Tokyo")
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(app_url)
            page.wait_for_selector("#message textarea")
            wait_settled(page)
            send_message(page, "/quote AAPL")
            reply = page.locator("#chatbot .message", has_text="AAPL").last
            reply.locator("time[data-local]").first.wait_for()
            shown = reply.locator("time[data-local]").first
            title, text = shown.get_attribute("title"), shown.inner_text()
            stamp = re.fullmatch(r"(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}) UTC", title or "")
            assert stamp, title  # UTC on hover
            assert "UTC" not in text, text
            hour = (int(stamp.group(2)) + 9) % 24  # Tokyo is UTC+9 all year
            assert re.search(rf"\b0?{hour % 12 or 12}:{stamp.group(3)}\s?[AP]M\b|\b{hour:02d}:{stamp.group(3)}\b",
                             text), (title, text)
            assert "UTC" not in reply.inner_text().replace("UTC on hover", ""), reply.inner_text()
            # code keeps its text as written (only prose and a tool's plain-text blocks change)
            assert page.evaluate("document.querySelectorAll('#chatbot code:not(.language-text) time').length") == 0
            panel = page.locator("#workspace-summary time[data-local]").first  # the account's "as of"
            panel.wait_for(state="attached")
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", panel.get_attribute("title") or "")
            # the conversation list (a widget's labels, made on the server) uses the zone the browser sent
            label = page.locator("#conversations label").first
            label.wait_for(state="attached")
            text = label.text_content() or ""
            tokyo = [dt.datetime.now(ZoneInfo("Asia/Tokyo")) - dt.timedelta(minutes=m) for m in (0, 1, 2)]
            assert any(f"· {t:%H:%M}" in text for t in tokyo) and "UTC" not in text, text
            context.close()
        finally:
            browser.close()
