"""A real browser shows untraced figures marked (with a hover note) and the figures badge under the answer."""

from __future__ import annotations

import pytest

from standins.live_app import running_app
from standins.scripted_model import ScriptedModel, code, final
from tests.browser import browser_page, send_message

pytestmark = pytest.mark.browser  # drives Debian's chromium (Playwright)

ANSWER = "**AAPL** is at $244.60 (up 1.27%); a target of $999.99 is not from any tool."


def scripted_team():
    return {
        "manager": ScriptedModel([code('r = trader(task="AAPL quote")\nprint(r)'), final(ANSWER)]),
        "web_agent": ScriptedModel(),
        "trader": ScriptedModel([code('print(stock_quote(symbol="AAPL"))'), final("Quote fetched.")]),
    }


def test_browser_shows_the_mark_the_hover_note_and_the_badge(tmp_path):
    with running_app(tmp_path, scripted_team) as (url, _stack, _demo), browser_page(url) as page:
        send_message(page, "How is AAPL?")
        chatbot = page.locator("#chatbot")
        marked = chatbot.locator("abbr", has_text="$999.99")
        marked.first.wait_for()
        # The sanitizer kept the mark and its hover note; the traced figures are not marked; markdown intact.
        assert marked.first.inner_text().strip() == "$999.99⚠"
        assert "Untraced" in marked.first.get_attribute("title")
        assert chatbot.locator("sup", has_text="⚠").count() == 1
        assert chatbot.locator("abbr").count() == 1
        assert chatbot.locator("strong", has_text="AAPL").count() >= 1
        # The badge under the answer, collapsed, expanding to the list with each figure's source.
        badge = chatbot.get_by_text("2 of 3 figures traced to tool output")
        badge.first.wait_for()
        rows = chatbot.locator("td", has_text="untraced")
        assert rows.count() == 0 or not rows.first.is_visible()  # collapsed until clicked
        badge.first.click()
        rows.first.wait_for(state="visible")
        assert chatbot.locator("td", has_text="stock_quote").first.is_visible()
        page.screenshot(path=str(tmp_path / "figures.png"), full_page=True)
