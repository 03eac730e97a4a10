"""A real browser: type a message and see the streamed, nested answer."""

from __future__ import annotations

import re

import pytest

from standins.live_app import running_app
from standins.scripted_model import ScriptedModel, call, code, final
from tests.browser import browser_page, send_message

pytestmark = pytest.mark.browser  # drives Debian's chromium (Playwright)


def scripted_team():
    return {
        "manager": ScriptedModel([code('r = web_agent(task="NVDA news")\nprint(r)', "Ask the web agent."),
                                  final("NVDA rose 5% this month, says the news.")]),
        "web_agent": ScriptedModel([call("web_search", query="NVDA news"),
                                    call("final_answer", answer="Headlines: NVDA rose 5%.")]),
        "trader": ScriptedModel(),
    }


def test_browser_sees_the_streamed_nested_answer(tmp_path):
    with running_app(tmp_path, scripted_team) as (url, _stack, _demo), browser_page(url) as page:
        send_message(page, "How did NVDA do this month?")
        # "5%" comes from the web agent's words, not a tool: marked untraced (⚠) in the answer.
        page.get_by_text(re.compile(r"^NVDA rose 5%⚠ this month, says the news\.$")).wait_for()
        chatbot = page.locator("#chatbot")
        assert chatbot.get_by_text("How did NVDA do this month?").count() >= 1
        # The manager step is a collapsible thought with the delegation nested inside it.
        chatbot.get_by_text("Manager · step 1").first.click()
        delegation = chatbot.get_by_text(re.compile(r"^\W*web_agent$"))
        delegation.first.wait_for()
        delegation.first.click()
        member_step = chatbot.get_by_text("web_agent · step 1")
        member_step.first.wait_for()
        member_step.first.click()
        chatbot.get_by_text("web_search(query='NVDA news')").first.wait_for()
        assert chatbot.get_by_text("web_search(query='NVDA news')").first.is_visible()
        page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
