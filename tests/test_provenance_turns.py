"""Whole turns with scripted models: every figure of the final answer gets the right verdict and source.

The trader's tools answer from the recorded Yahoo replay (AAPL: price 244.60, +1.27%, volume 40.90M,
market cap 3.67T, data time 2025-02-14 21:00 UTC; profile: gross margin 46.5%, dividend yield 0.41%).
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from chat.session import Session
from standins.scripted_model import ScriptedModel, code, final
from telemetry.tracing import Tracing
from tests.harness import run_turn

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

QUOTE = 'print(stock_quote(symbol="AAPL"))'
AS_OF = "2025-02-14 21:00 UTC"
QUOTE_AS_OF = "2025-02-14T21:00:00+00:00"  # the `as_of` field of the printed structured quote


def turn(stack, answer: str, trader_code: str = QUOTE, report: str = "AAPL quote fetched.",
         manager_code: str | None = None, session_id: str = "s-prov"):
    manager = [code('r = trader(task="AAPL quote")\nprint(r)', "Ask the trader.")]
    if manager_code:
        manager.append(code(manager_code, "Compute it."))
    manager.append(final(answer))
    chat = stack.chat(lambda: {"manager": ScriptedModel(manager), "web_agent": ScriptedModel(),
                               "trader": ScriptedModel([code(trader_code, "Fetch."), final(report)])})
    last = run_turn(chat, Session(id=session_id), "How is AAPL?")[-1]
    final_item = next(i for i in last if i.kind == "final")
    badge = next((i for i in last if i.kind == "figures"), None)
    return final_item, badge, {f["text"]: f for f in final_item.extra.get("figures", [])}


def test_a_quoted_exactly_every_figure_traced_with_tool_line_and_as_of(stack):
    item, badge, figures = turn(stack, f"AAPL is at $244.60, up 1.27% (data time {AS_OF}); volume 40.90M.")
    assert list(figures) == ["$244.60", "1.27%", "40.90M"]
    assert all(f["verdict"] == "traced" for f in figures.values())
    price = figures["$244.60"]["source"]
    assert price["step"] == "trader · step 1" and price["tool"] == "stock_quote"
    assert "'price': 244.6" in price["line"] and price["as_of"] == QUOTE_AS_OF  # the printed structured quote
    assert item.extra["figures_summary"] == {"traced": 3, "from_message": 0, "total": 3}
    assert badge.title.endswith("3 of 3 figures traced to tool output") and badge.status == "done"
    assert "<abbr" not in item.display and item.content.startswith("AAPL is at $244.60")


def test_b_rounded_figures_are_traced(stack):
    _, _, figures = turn(stack, "AAPL is at about $245, up 1.3%, with a market cap of 3.7T and volume of 41M.")
    assert {t: f["verdict"] for t, f in figures.items()} == {
        "$245": "traced", "1.3%": "traced", "3.7T": "traced", "41M": "traced"}


def test_c_a_figure_computed_in_code_and_printed_is_traced_to_that_step(stack):
    _, _, figures = turn(stack, "Ten AAPL shares at $244.60 would cost $2,446.00.",
                         manager_code="price = 244.60\nprint(f'cost of 10 shares: {price * 10:.2f}')")
    cost = figures["$2,446.00"]
    assert cost["verdict"] == "traced"
    assert cost["source"]["step"] == "manager · step 2" and cost["source"]["tool"] == "python"
    assert cost["source"]["line"] == "cost of 10 shares: 2446.00"


def test_d_a_figure_no_tool_gave_is_untraced_and_marked_even_when_a_member_wrote_it(stack):
    item, badge, figures = turn(
        stack, "AAPL is at $244.60; analysts expect $312.40 and it will hit $400.00 by summer.",
        report="AAPL is at 244.60 and will hit 400.00 by summer.")
    assert figures["$244.60"]["verdict"] == "traced"
    assert figures["$312.40"]["verdict"] == "untraced" and figures["$312.40"]["source"] is None
    assert figures["$400.00"]["verdict"] == "untraced"  # only the trader's own words said so, no tool did
    assert item.extra["figures_summary"] == {"traced": 1, "from_message": 0, "total": 3}
    assert badge.title == "⚠️ 1 of 3 figures traced to tool output"
    assert item.display.count("<abbr") == 2 and '$312.40<sup>⚠</sup></abbr>' in item.display
    assert item.content == "AAPL is at $244.60; analysts expect $312.40 and it will hit $400.00 by summer."
    assert "untraced" in badge.content and "stock_quote" in badge.content


def test_e_percentages_and_fractions_mixed(stack):
    trader_code = 'print(company_profile(symbol="AAPL"))\nprint("dividend yield as a fraction", round(0.41 / 100, 4))'
    _, _, figures = turn(stack, "Gross margin 0.465 of revenue, profit margin 24.3%, dividend yield 0.0041 "
                                "(0.41%); a 55% margin would be news.", trader_code=trader_code)
    assert {t: f["verdict"] for t, f in figures.items()} == {
        "0.465": "traced", "24.3%": "traced", "0.0041": "traced", "0.41%": "traced", "55%": "untraced"}
    assert figures["0.465"]["source"]["tool"] == "company_profile"


def test_f_trillions_for_a_market_cap_given_in_full(stack):
    trader_code = 'cap = 3674267435008\nprint("market cap in USD:", cap)'
    _, _, figures = turn(stack, "Apple is worth about $3.7 trillion ($3.67 trillion), not $2.5 trillion.",
                         trader_code=trader_code)
    assert {t: f["verdict"] for t, f in figures.items()} == {
        "$3.7 trillion": "traced", "$3.67 trillion": "traced", "$2.5 trillion": "untraced"}
    assert figures["$3.67 trillion"]["source"]["line"] == "market cap in USD: 3674267435008"


def test_figures_the_person_gave_are_counted_as_from_their_message(stack):
    chat = stack.chat(lambda: {"manager": ScriptedModel([final("A limit at $231.50 is below the last price.")]),
                               "web_agent": ScriptedModel(), "trader": ScriptedModel()})
    last = run_turn(chat, Session(id="s-own"), "Is a limit buy at 231.50 sensible for AAPL?")[-1]
    final_item = next(i for i in last if i.kind == "final")
    (figure,) = final_item.extra["figures"]
    assert figure["verdict"] == "from_message" and figure["source"]["step"] == "your message"
    assert final_item.extra["figures_summary"] == {"traced": 0, "from_message": 1, "total": 1}
    badge = next(i for i in last if i.kind == "figures")
    assert badge.title == "🔎 0 of 1 figure traced to tool output, 1 from your message"
    assert "<abbr" not in final_item.display


def test_a_figure_with_another_date_or_sign_than_its_source_is_untraced_and_says_why(stack):
    item, badge, figures = turn(stack, "On 2024-06-01 AAPL closed at $244.60, down 1.27% on the day.")
    assert {t: (f["verdict"], f["mismatch"]["reason"]) for t, f in figures.items()} == {
        "$244.60": ("untraced", "date differs"), "1.27%": ("untraced", "sign differs")}
    assert figures["$244.60"]["source"] is None and figures["$244.60"]["mismatch"]["source"]["tool"] == "stock_quote"
    assert figures["$244.60"]["mismatch"]["source"]["as_of"] == QUOTE_AS_OF
    assert item.display.count("<abbr") == 2 and "date differs" in item.display
    assert badge.title == "⚠️ 0 of 2 figures traced to tool output"
    json.loads(json.dumps(item.to_json()))


def test_answers_without_figures_get_no_badge_and_commands_are_not_checked(stack):
    item, badge, figures = turn(stack, "AAPL looks steady; see the quote above.")
    assert badge is None and "figures" not in item.extra
    chat = stack.chat(lambda: {"manager": ScriptedModel(), "web_agent": ScriptedModel(), "trader": ScriptedModel()})
    items = run_turn(chat, Session(id="s-cmd"), "/quote AAPL")[-1]
    assert not any(i.kind == "figures" or "figures" in i.extra for i in items)


def test_verdicts_are_json_safe_and_counted_on_the_root_span(stack):
    exporter = InMemorySpanExporter()
    tracing = Tracing(exporters=[exporter], schedule_delay_s=0.05)
    stack.runtime = dataclasses.replace(stack.runtime, tracing=tracing)  # the chat's turns are traced here
    item, badge, _ = turn(stack, "AAPL is at $244.60, not $250.10.")
    json.loads(json.dumps(item.to_json()))
    assert item.to_json()["extra"]["figures_summary"] == {"traced": 1, "from_message": 0, "total": 2}
    assert badge.to_json()["metadata"]["title"].startswith("⚠️ 1 of 2")
    stack.runtime.tracing.flush()
    root = next(s for s in exporter.get_finished_spans() if s.name == "chat turn")
    assert root.attributes["smol_trader.figures.total"] == 2
    assert root.attributes["smol_trader.figures.untraced"] == 1
    assert root.attributes["langfuse.trace.metadata.figures_untraced"] == 1
