"""A real browser: watch a symbol (side panel with sparkline), the trader proposes an alert, the person confirms it
with the panel's button, the price crosses while the page is open in two tabs: a toast in
each, and the unread badge, show it; listing the notifications resets the badge."""

from __future__ import annotations

import re

import pytest

from standins.live_app import running_app
from standins.scripted_model import ScriptedModel, code, final
from tests.browser import browser_page, send_message

pytestmark = pytest.mark.browser  # drives Debian's chromium (Playwright)


def scripted_team():
    return {
        "manager": ScriptedModel([code('print(trader(task="Propose an alert for AAPL above 250"))', "Ask the trader."),
                                  final("The trader proposed an alert; confirm it in the side panel.")]),
        "web_agent": ScriptedModel(),
        "trader": ScriptedModel([
            code('print(propose_alert(symbol="AAPL", condition="above 250", reason="a breakout level"))',
                 "Propose it."),
            final("Alert proposed."),
        ]),
    }


def test_a_toast_appears_when_an_alert_fires_while_the_page_is_open(tmp_path):
    with running_app(tmp_path, scripted_team, DATA_DIR=tmp_path / "data", QUOTE_TTL_S=0) as (url, stack, ui):
        service = ui.runtime.scheduler.service
        with browser_page(url) as page:
            send_message(page, "/watch AAPL")
            page.get_by_text("Watching AAPL").first.wait_for()
            page.locator("#watchlist tr[data-symbol='AAPL'] svg polyline").wait_for()
            assert "244.60" in page.inner_text("#watchlist")

            send_message(page, "Alert me when AAPL breaks 250")
            page.get_by_text("The trader proposed an alert; confirm it in the side panel.", exact=True).wait_for()
            assert service.check(force=True).rules == 0  # a proposal is not checked before it is confirmed
            page.click("#alert-proposals input")
            page.get_by_role("option", name=re.compile("AAPL above 250")).first.click()
            page.click("#confirm-alert")
            page.get_by_text(re.compile(r"Alert A-[0-9A-F]{4} is active")).first.wait_for()

            second = page.context.new_page()  # a second tab of the same browser: the same workspace
            second.set_default_timeout(30_000)
            second.goto(url)
            second.locator("#watchlist tr[data-symbol='AAPL']").wait_for()

            stack.yahoo.set_quote("AAPL", 261.0)
            report = service.check(force=True)
            assert len(report.fired) == 1
            page.locator(".toast-body", has_text="AAPL above 250.00").first.wait_for(timeout=20_000)
            page.locator("#alerts-badge-count[data-count='1']").wait_for()
            second.locator(".toast-body", has_text="AAPL above 250.00").first.wait_for(timeout=20_000)  # both tabs
            second.close()
            page.screenshot(path=str(tmp_path / "alerts.png"), full_page=True)
            send_message(page, "/notifications")
            page.locator("#chatbot").get_by_text("last price 261.00").first.wait_for()
            page.locator("#alerts-badge-count[data-count='0']").wait_for()  # listed: read, the badge resets
