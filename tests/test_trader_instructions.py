"""Scripted turns through the real team: the trader is told which tool answers which question, and uses it.

The models are tests/scripted_model.ScriptedModel; Yahoo is the local replay. Each test asserts on what the
trader's model was sent (its system prompt and the observations of its code steps) and on the chat items.
"""

from __future__ import annotations

import pytest

from chat.session import Session
from standins.scripted_model import ScriptedModel, code, final
from tests.harness import final_text, run_turn

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::Warning")]


def turn(stack, question: str, task: str, trader_steps: list[str], answer: str):
    """One turn: the manager delegates `task` to the trader, which runs `trader_steps`; returns (items, trader)."""
    trader = ScriptedModel([*trader_steps, final("Done.")])
    manager = ScriptedModel([code(f"report = trader(task={task!r})\nprint(report)", "Ask the trader."),
                             final(answer)])
    chat = stack.chat(lambda: {"manager": manager, "web_agent": ScriptedModel([]), "trader": trader})
    items = run_turn(chat, Session(id="s-instructions"), question)[-1]
    return items, trader


def test_how_did_the_stock_react_goes_to_news_reaction_and_tone_is_the_traders_reading(stack):
    items, trader = turn(
        stack, "How did AMZN react to its latest news?", "How did AMZN react to its latest headlines?",
        [code("r = news_reaction(symbol='AMZN', count=3)\nprint(r['as_of'], r['source'])\nprint(r['summary'])",
              "The person asks for the measured reaction.")],
        "AMZN's reactions are in the table.")
    seen = trader.seen_text()
    assert "def news_reaction(" in seen and "def stock_news(" in seen
    assert '"How did the stock react?": use\n  `news_reaction` (measured moves)' in seen
    assert "Label a headline's tone\n  (positive/negative/neutral) as your own reading, citing the headline" in seen
    assert "Measured reactions to AMZN headlines" in seen  # the tool ran and its summary came back
    assert [i for i in items if i.kind == "chart"]  # price with headline markers, shown to the person
    assert final_text(items) == "AMZN's reactions are in the table."


def test_how_much_should_i_buy_goes_to_position_size_and_its_args_file_a_ticket(stack):
    items, trader = turn(
        stack, "How much AAPL should I buy, risking 1% with a stop at 230? Then buy it.",
        "The person asked to buy AAPL: size it risking 1% of equity with a stop at 230, then propose the order.",
        [code("size = position_size(symbol='AAPL', risk_pct=1, stop=230)\nprint(size['summary'])\n"
              "print(propose_order(**size['propose_order_args']))", "Size it, then file the ticket.")],
        "A ticket awaits your confirmation.")
    seen = trader.seen_text()
    assert "def position_size(" in seen
    assert '"How much should I buy?": use `position_size`; its `propose_order_args` fit `propose_order`.' in seen
    assert "awaiting the person's confirmation" in seen and "has NOT been executed" in seen
    [card] = [i for i in items if i.kind == "ticket"]
    order = card.extra["ticket"]["order"]
    assert order["symbol"] == "AAPL" and order["side"] == "buy" and order["stop_loss"] == 230


def test_a_tool_error_reaches_the_model_and_the_chat_as_its_sentence(stack):
    items, trader = turn(
        stack, "Hold AAPL.", "The person asked to trade: propose 'hold 1 AAPL'.",
        [code("print(propose_order(symbol='AAPL', side='hold', qty=1))", "File it.")],
        "No ticket: hold is not an order side.")
    seen = trader.seen_text()
    assert "UserError: No ticket created: " in seen and "side" in seen  # the message, not a traceback
    assert "Traceback" not in seen
    step = next(i for i in items if i.kind == "member_step" and "propose_order" in str(i.content))
    assert "No ticket created: " in str(step.content)
    assert not [i for i in items if i.kind == "ticket"]
