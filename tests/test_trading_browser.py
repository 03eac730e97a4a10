"""A real browser: the trader proposes an order, the person confirms it in the chat and sees the fill and the
portfolio; a second ticket is rejected and nothing executes.

The person decides with the Order tickets panel: pick the ticket, click Confirm (or Reject).
"""

from __future__ import annotations

import re

import pytest

from standins.live_app import running_app
from standins.scripted_model import ScriptedModel, code, final
from tests.browser import browser_page, send_message

pytestmark = pytest.mark.browser  # drives Debian's chromium (Playwright)


def scripted_team():
    return {
        "manager": ScriptedModel([code('print(trader(task="Propose buying 3 AAPL with a limit of 1000"))',
                                       "Ask the trader."),
                                  final("I proposed the order; please confirm or reject the ticket.")]),
        "web_agent": ScriptedModel(),
        "trader": ScriptedModel([
            code('print(propose_order(symbol="AAPL", side="buy", qty=3, order_type="limit", limit_price=1000))',
                 "Propose it."),
            final("Ticket proposed."),
        ]),
    }


def choose_ticket(page, ticket: str) -> None:
    """Pick `ticket` in the Order tickets dropdown, as a person would."""
    page.click("#tickets input")
    page.get_by_role("option", name=re.compile(ticket)).first.click()


def ticket_ids(page) -> list[str]:
    return list(dict.fromkeys(re.findall(r"Order ticket (T-[0-9A-F]{4})", page.inner_text("#chatbot"))))


@pytest.mark.sqlite_only  # reads the app's SQLite files
def test_confirm_shows_the_fill_and_portfolio_and_reject_executes_nothing(tmp_path):
    with running_app(tmp_path, scripted_team) as (url, stack, _demo), browser_page(url) as page:
        send_message(page, "Buy 3 AAPL for me")
        page.get_by_text("I proposed the order; please confirm or reject the ticket.", exact=True).wait_for()
        [ticket] = ticket_ids(page)
        assert page.locator("#chatbot").get_by_text(f"/confirm {ticket}").count() >= 1

        choose_ticket(page, ticket)
        page.click("#confirm")
        page.get_by_text("Filled").first.wait_for()
        send_message(page, "/portfolio")
        page.get_by_text("Allocation").first.wait_for()
        holdings = page.inner_text("#chatbot")
        assert "AAPL" in holdings and "unrealized P&L" in holdings

        send_message(page, "/buy 1 AAPL limit 900")
        page.wait_for_function("document.querySelector('#chatbot').innerText.match(/Order ticket T-/g).length >= 2")
        second = [t for t in ticket_ids(page) if t != ticket][0]
        choose_ticket(page, second)
        page.click("#reject")
        page.get_by_text("Nothing was sent to the broker").first.wait_for()
        page.screenshot(path=str(tmp_path / "trading.png"), full_page=True)

        fills = [f for f in _all_fills(stack)]
        assert [(f.symbol, f.qty) for f in fills] == [("AAPL", 3.0)]


def _all_fills(stack):
    """Every fill in the ledger, across accounts, read with the paper broker itself."""
    import sqlite3

    from trading.paper import PaperBroker

    path = stack.settings.paper_ledger_path
    accounts = [row[0] for row in sqlite3.connect(path).execute("SELECT id FROM accounts")]
    fills = []
    for account in accounts:
        broker = PaperBroker(path, account, starting_cash=0, price_of=lambda s: 1.0)
        fills += broker.fills()
        broker.close()
    return fills
