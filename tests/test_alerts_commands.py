"""The slash commands and the trader's propose_alert tool: clear messages for bad input, caps per workspace,
workspaces kept apart, a proposal inactive until confirmed."""

from __future__ import annotations

import pytest

from chat.commands import CommandContext, all_commands, dispatch
from chat.session import Session
from core.errors import UserError
from tests.harness import local_stack
from tools.alerts import alert_tools

pytestmark = pytest.mark.filterwarnings("ignore::Warning")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("alerts-commands")
    with local_stack(tmp, DATA_DIR=tmp / "data", WATCHLIST_MAX_SYMBOLS=3, ALERTS_MAX_PER_WORKSPACE=3,
                     BRIEFS_MAX_PER_WORKSPACE=1) as stack:
        yield stack
        stack.runtime.alerts.close()


def say(stack, text: str, workspace: str = "alice") -> tuple[str, str]:
    session = Session(id=f"tab-{workspace}", workspace=workspace)
    [item] = dispatch(text, CommandContext(session=session, runtime=stack.runtime))
    return item.kind, str(item.content)


def test_watchlist_commands_and_cap(stack):
    assert say(stack, "/watch aapl, goog")[1].startswith("Watching AAPL, GOOG. Your watchlist: AAPL, GOOG")
    kind, text = say(stack, "/watch QQQ AMZN")
    assert kind == "error" and "at most 3 symbols" in text and "/unwatch SYMBOL" in text
    kind, text = say(stack, "/watch NOSUCHSYMBOL")
    assert kind == "error" and "NOSUCHSYMBOL" in text and "NOSUCHSYMBOL" not in say(stack, "/watchlist")[1]
    kind, text = say(stack, "/watch 12$%")
    assert kind == "error" and "is not a ticker symbol" in text
    table = say(stack, "/watchlist")[1]
    assert "| AAPL | 244.60 | +1.27% |" in table
    assert say(stack, "/unwatch GOOG")[1] == "Removed GOOG from your watchlist."
    assert say(stack, "/unwatch GOOG")[1] == "GOOG was not on your watchlist."
    assert "empty" in say(stack, "/watchlist", workspace="bob")[1]  # another workspace


def test_alert_commands_list_delete_cap_and_bad_input(stack):
    kind, text = say(stack, "/alert AAPL above 250", "carol")
    assert kind == "text" and "fires once per crossing" in text and "never trade" in text
    alert_id = text.split()[1]
    say(stack, "/alert AAPL rsi below 30", "carol")
    say(stack, "/alert QQQ cross sma50", "carol")
    kind, text = say(stack, "/alert AAPL move 5", "carol")
    assert kind == "error" and "maximum of 3 alerts" in text
    listing = say(stack, "/alerts", "carol")[1]
    assert f"| `{alert_id}` | AAPL above 250.00 | armed |" in listing and "QQQ crosses its SMA50" in listing
    kind, text = say(stack, "/alert AAPL sideways 5", "carol")
    assert kind == "error" and "is not an alert condition" in text and "Usage:" in text
    assert say(stack, f"/alert delete {alert_id}", "dave")[0] == "error"  # not dave's
    assert say(stack, f"/alert delete {alert_id.lower()}", "carol")[1] == f"Alert {alert_id} deleted."
    assert alert_id not in say(stack, "/alerts", "carol")[1]
    assert "No alerts yet" in say(stack, "/alerts", "dave")[1]


def test_notify_and_brief_commands(stack):
    kind, text = say(stack, "/notify webhook ftp://example.com/x", "erin")
    assert kind == "error" and "http:// or https://" in text
    assert "ntfy, Slack and Discord" in say(stack, "/notify webhook https://ntfy.sh/smol-erin", "erin")[1]
    assert "Webhook: https://ntfy.sh/smol-erin" in say(stack, "/notifications", "erin")[1]
    assert "Webhook removed" in say(stack, "/notify off", "erin")[1]
    assert say(stack, "/notify loudly", "erin")[0] == "error"
    kind, text = say(stack, "/brief daily 25:00", "erin")
    assert kind == "error" and "is not a time like 08:30" in text
    text = say(stack, "/brief weekly fri 17:00", "erin")[1]
    assert "weekly on Fri at 17:00 exchange time" in text
    assert "maximum of 1 scheduled briefs" in say(stack, "/brief daily 08:30", "erin")[1]
    say(stack, "/watch AAPL", "erin")
    now = say(stack, "/brief now", "erin")[1]
    assert "**AAPL** 244.60" in now and "Alerts fired since the last brief" in now
    assert "Brief for" in say(stack, "/notifications", "erin")[1]


def test_the_trader_only_proposes_and_the_person_confirms(stack):
    service = stack.runtime.alerts
    [tool] = alert_tools(lambda: service, lambda: "frank")
    answer = tool.forward("AAPL", "rsi above 70", "momentum check")
    proposal_id = answer.split()[2]
    assert "NOT active" in answer and service.pending_alerts("frank")[0].id == proposal_id
    with pytest.raises(UserError, match="^No alert proposed:"):  # smolagents shows the model this message
        tool.forward("AAPL", "to the moon")
    assert not hasattr(tool, "service") and not hasattr(tool, "_service")
    listing = say(stack, "/alerts", "frank")[1]
    assert f"awaiting `/alert confirm {proposal_id}`" in listing and "momentum check" in listing
    assert "is active" in say(stack, f"/alert confirm {proposal_id}", "frank")[1]
    assert say(stack, f"/alert confirm {proposal_id}", "frank")[0] == "error"  # only once


def test_help_lists_the_new_commands():
    names = set(all_commands())
    assert {"watch", "unwatch", "watchlist", "alert", "alerts", "notifications", "notify", "brief"} <= names


def test_buy_of_an_unknown_symbol_says_so_without_a_usage_line(stack):
    """Issue 23, item 9: the words were right, the symbol has no price: no unrelated "Usage:" line under it."""
    kind, text = say(stack, "/buy 1 NOSUCHSYMBOL", "dave")
    assert kind == "error" and text.startswith("No current price for NOSUCHSYMBOL, so no ticket")
    assert "Usage" not in text
    kind, text = say(stack, "/buy many AAPL", "dave")  # the words were wrong: the usage helps
    assert kind == "error" and "many" in text and "Usage: `/buy" in text
