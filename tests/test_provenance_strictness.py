"""Table-driven: a figure is traced only when its source agrees with the date and sign the answer gives it; as-of
times come from the `as_of` field structured tools print; figures the person typed are counted apart (issue 16)."""

from __future__ import annotations

import pytest
from smolagents.memory import ActionStep
from smolagents.monitoring import Timing

from chat.evidence import Evidence
from provenance import ObservationIndex, check_answer, extract_figures
from provenance.dates import stated_days
from provenance.observations import stated_times

QUOTE = """AAPL (Apple Inc.) on NasdaqGS, USD
Price 244.60  change +3.07 (+1.27%)  previous close 241.53
Day range 241.00 - 245.41  open 241.07
Market state CLOSED; data time 2025-02-14 21:00 UTC (real-time); source Nasdaq via Yahoo Finance"""
HISTORY = """AAPL 1d bars from 2020-12-01 to 2020-12-31 (22 bars; source Yahoo Finance, adjusted)
Close 121.97 -> 131.88 (+8.12%); high 137.94, low 119.27; average volume 105.55M
date | open | high | low | close | volume
2020-12-01 | 120.27 | 122.71 | 119.27 | 121.97 | 127.73M
2020-12-02 | 121.27 | 122.61 | 120.15 | 122.33 | 89.00M"""
BARS = ("{'symbol': 'MSFT', 'interval': '1d', 'bars': [{'date': '2026-11-23T00:00:00', 'open': 410.2, "
        "'close': 415.3}, {'date': '2026-11-24T00:00:00', 'open': 415.9, 'close': 417.9}], "
        "'as_of': '2026-11-24T00:00:00'}")
PRINTED = "cost of 10 shares: 2446.00\nreturn over the window -3.40%\nmax drawdown 12.70%"
NEWS = "2025-11-20 14:30 · Reuters · Nvidia shares fell 2.6% after results; revenue $35.1 billion"
STRUCTURED = ("{'symbol': 'TSLA', 'price': 352.56, 'change': -3.02, 'change_pct': -0.85, 'day_gain': 2.95, "
              "'as_of': '2025-11-21T21:00:00+00:00'}")


@pytest.fixture(scope="module")
def index():
    index = ObservationIndex()
    outputs = (("trader · step 1", "stock_quote", QUOTE), ("trader · step 2", "price_history", HISTORY),
               ("trader · step 3", "price_history", BARS), ("manager · step 2", "python", PRINTED),
               ("web_agent · step 1", "stock_news", NEWS), ("trader · step 4", "stock_quote", STRUCTURED))
    for step, tool, text in outputs:
        index.add(text, step=step, tool=tool)
    return index


def verdicts(index, answer: str) -> list[tuple[str, str, str | None]]:
    return [(v.figure.text, v.verdict, v.mismatch) for v in check_answer(answer, index).verdicts]


# 1. A date written next to a figure must be a day its source carries: its row or record, else its output's days.
DATES = [  # (answer, the verdict of its one figure, what differs)
    ("On 2024-06-01 AAPL closed at $244.60.", "untraced", "date differs"),  # the quote is of 2025-02-14
    ("On 2025-02-14 AAPL closed at $244.60.", "traced", None),
    ("On Feb 14, 2025 AAPL was at $244.60.", "traced", None),
    ("On February 14 AAPL was at $244.60.", "traced", None),  # a day without its year
    ("On June 1 AAPL was at $244.60.", "untraced", "date differs"),
    ("In June 2024 AAPL traded at $244.60.", "untraced", "date differs"),
    ("In February 2025 AAPL traded at $244.60.", "traced", None),  # a month containing the day
    ("On 2/14/2025 the previous close was 241.53.", "traced", None),
    ("AAPL's previous close was $241.53 on Feb 13.", "traced", None),  # the session before the quote's date
    ("On 2025-02-13 AAPL closed at $241.53.", "traced", None),
    ("On 2025-02-01 AAPL closed at $241.53.", "untraced", "date differs"),  # further back than a long weekend
    ("On 2025-02-13 AAPL was at $244.60.", "untraced", "date differs"),  # the price is of the quote's own day
    ("On 2020-12-02 AAPL closed at $122.33.", "traced", None),  # that day's row
    ("On Dec 2, 2020 AAPL closed at $122.33.", "traced", None),
    ("On 2020-12-01 AAPL closed at $122.33.", "untraced", "date differs"),  # the row of 12-01 closed at 121.97
    ("On 2020-12-15 AAPL's high for the month was $137.94.", "traced", None),  # the summary covers December
    ("On 2021-03-01 AAPL's high was $137.94.", "untraced", "date differs"),
    ("On 2026-11-24 MSFT closed at $417.90.", "traced", None),  # one bar of a printed price history
    ("On 2026-11-23 MSFT closed at $417.90.", "untraced", "date differs"),  # another bar's day
    ("On 2026-11-23 MSFT closed at $415.30.", "traced", None),
    ("On 2025-02-14 ten shares cost $2,446.00.", "traced", None),  # computed, printed without a date
    ("At 4:00 PM ET AAPL was at $244.60.", "traced", None),  # a time of day is not compared
    ("In Q4 2024 AAPL traded at $244.60.", "traced", None),  # nor are quarters (fiscal or calendar?)
    ("On 2025-11-21 TSLA was at $352.56.", "traced", None),  # the `as_of` of a printed quote
    ("On 2025-11-19 TSLA was at $352.56.", "untraced", "date differs"),
    ("On Dec 2 AAPL closed at about $122.", "traced", None),  # a day without its year, in a row
    ("On Dec 1 AAPL closed at $122.33.", "untraced", "date differs"),
]


STATED = [  # (date as written, the days it names; "MM-DD" without a year; None: not compared)
    ("2025-02-14 21:00 UTC", ("2025-02-14", "2025-02-14")),
    ("Nov 21, 2025", ("2025-11-21", "2025-11-21")),
    ("21st November 2025", ("2025-11-21", "2025-11-21")),
    ("Sept. 3", "09-03"),
    ("March 2020", ("2020-03-01", "2020-03-31")),
    ("Feb 2024", ("2024-02-01", "2024-02-29")),
    ("11/21/2025", ("2025-11-21", "2025-11-21")),
    ("21/11/25", ("2025-11-21", "2025-11-21")),  # day first when it cannot be a month
    ("Q3 2025", None), ("FY2025", None), ("H1 2024", None), ("9:30 AM ET", None), ("2025-02-30", None),
]


@pytest.mark.parametrize("written, days", STATED, ids=[c[0] for c in STATED])
def test_the_days_a_date_names(written, days):
    assert stated_days(written) == days


@pytest.mark.parametrize("answer, verdict, mismatch", DATES, ids=[c[0] for c in DATES])
def test_dates(index, answer, verdict, mismatch):
    ((_, got, differs),) = verdicts(index, answer)
    assert (got, differs) == (verdict, mismatch)


FOUND = [  # (answer, the days or signed number the disagreeing source states)
    ("On 2024-06-01 AAPL closed at $244.60.", "2025-02-14"),
    ("On 2020-12-01 AAPL closed at $122.33.", "2020-12-02"),  # its row
    ("On 2021-03-01 AAPL's high was $137.94.", "2020-12-01 to 2020-12-31"),  # the span of its output
    ("On 2026-11-23 MSFT closed at $417.90.", "2026-11-24"),  # its bar, not the history's `as_of`
    ("The window returned +3.4%.", "-3.40"),
    ("Nvidia jumped 2.6% after results.", "-2.6"),
]


@pytest.mark.parametrize("answer, found", FOUND, ids=[c[0] for c in FOUND])
def test_what_the_disagreeing_source_states(index, answer, found):
    (verdict,) = check_answer(answer, index).verdicts
    assert verdict.found == found and verdict.near is not None


def test_a_date_that_differs_says_where_the_figure_was_found():
    index = ObservationIndex()
    index.add("244.60 as of 2025-02-14", step="trader · step 1", tool="stock_quote")
    (verdict,) = check_answer("On 2024-06-01 AAPL closed at $244.60.", index).verdicts
    assert verdict.verdict == "untraced" and verdict.source is None and verdict.mismatch == "date differs"
    assert verdict.near.line == "244.60 as of 2025-02-14" and verdict.near.as_of == "2025-02-14"
    assert verdict.found == "2025-02-14"
    assert verdict.to_json()["mismatch"] == {
        "reason": "date differs", "found": "2025-02-14",
        "source": {"step": "trader · step 1", "tool": "stock_quote", "line": "244.60 as of 2025-02-14",
                   "as_of": "2025-02-14"}}


# 2. A sign written or said next to a figure must agree with its source's (a source without a sign agrees).
SIGNS = [  # (answer, [(figure, verdict, what differs)])
    ("The window returned +3.4%.", [("+3.4%", "untraced", "sign differs")]),  # printed -3.40%
    ("The window returned -3.4%.", [("-3.4%", "traced", None)]),
    ("The window returned 3.4%.", [("3.4%", "traced", None)]),  # no sign given: nothing to disagree with
    ("Over the window it rose 3.4%.", [("3.4%", "untraced", "sign differs")]),
    ("Over the window it fell 3.4%.", [("3.4%", "traced", None)]),
    ("Over the window it was up 3.4%.", [("3.4%", "untraced", "sign differs")]),
    ("Over the window it was down by about 3.4%.", [("3.4%", "traced", None)]),
    ("AAPL gained $3.07 today.", [("$3.07", "traced", None)]),
    ("AAPL lost $3.07 today.", [("$3.07", "untraced", "sign differs")]),
    ("AAPL is 1.27% higher on the day.", [("1.27%", "traced", None)]),
    ("AAPL saw a 1.27% drop on the day.", [("1.27%", "untraced", "sign differs")]),
    ("AAPL moved -1.27% on the day.", [("-1.27%", "untraced", "sign differs")]),
    ("The max drawdown was -12.7%.", [("-12.7%", "traced", None)]),  # printed without a sign
    ("TSLA fell 0.85% to $352.56.", [("0.85%", "traced", None), ("$352.56", "traced", None)]),  # "to": a level
    ("TSLA rose 0.85% to $352.56.", [("0.85%", "untraced", "sign differs"), ("$352.56", "traced", None)]),
    ("TSLA gained $2.95 at best today.", [("$2.95", "traced", None)]),
    ("TSLA lost $2.95 at worst today.", [("$2.95", "untraced", "sign differs")]),  # structured data: positive
    ("Nvidia fell 2.6% after results.", [("2.6%", "traced", None)]),  # the source says "fell" too
    ("Nvidia jumped 2.6% after results.", [("2.6%", "untraced", "sign differs")]),
    ("AAPL is up from $121.97 to $131.88, a gain of 8.12%.",
     [("$121.97", "traced", None), ("$131.88", "traced", None), ("8.12%", "traced", None)]),
]


@pytest.mark.parametrize("answer, expected", SIGNS, ids=[c[0] for c in SIGNS])
def test_signs(index, answer, expected):
    assert verdicts(index, answer) == expected


SAID = [  # (sentence, the sign each figure is given)
    ("NVDA fell 3.4% to $131.50.", [-1, None]),
    ("AAPL is up 1.27% at $244.60, up from $241.53.", [1, None, None]),
    ("Shares dropped by nearly 4% after hours.", [-1]),
    ("A 2.5% decline, then a rise of 1.1%.", [-1, 1]),
    ("Return +18.4% vs -12.7% drawdown; Sharpe 1.31.", [1, -1, None]),
    ("Price 245.12, change −2.91.", [None, -1]),
    ("It could rise to $250.00 or fall below $230.00.", [None, None]),
    ("Up to 25% of the position; down payment of $5,000.", [None, None]),
    ("It fell under $200.00, then rose above $210.00.", [None, None]),
    ("A 2% drop to $131.50, from $250.00 down to $240.00.", [-1, None, None, None]),
]


@pytest.mark.parametrize("sentence, signs", SAID, ids=[c[0] for c in SAID])
def test_the_sign_a_figure_is_given(sentence, signs):
    assert [f.sign for f in extract_figures(sentence)] == signs


# 3. The as-of time of a line: "as of …", "data time …", and the `as_of` field structured tools print.
AS_OF = [  # (observation, [(line, as-of)])
    ("{'as_of': '2026-11-20 21:00', 'history_end': '2026-11-25'}", [(1, "2026-11-20 21:00")]),
    ('{"symbol": "AAPL", "as_of": "2026-11-20T21:00:00Z", "end": "2026-11-25"}', [(1, "2026-11-20T21:00:00Z")]),
    ("{'price': 244.6, 'as_of': '2025-02-14T21:00:00+00:00', 'next_earnings': '2025-04-30'}",
     [(1, "2025-02-14T21:00:00+00:00")]),
    ("{'asOf': '2026-11-20', 'end': '2026-11-25'}", [(1, "2026-11-20")]),
    ("rows=5 as_of=2026-11-20 last=2026-11-25", [(1, "2026-11-20")]),
    ("quote_as_of: 2026-11-20; window 2026-10-01 to 2026-11-25", [(1, "2026-11-20")]),
    ("AAPL 1d bars from 2020-12-01 to 2020-12-31", [(1, "2020-12-31")]),  # unchanged: the end of the span
    ("data time 2025-02-14 21:00 UTC; next 2025-02-18", [(1, "2025-02-14 21:00 UTC")]),
    ("Price 10\nas of: 2025-02-14\n2025-02-13 | 9.5", [(2, "2025-02-14"), (3, "2025-02-13")]),
    ("{'sold_as': 1, 'date': '2026-11-25'}", [(1, "2026-11-25")]),  # no `as_of` field: the line's last date
]


@pytest.mark.parametrize("text, expected", AS_OF, ids=[c[0][:50] for c in AS_OF])
def test_as_of_times(text, expected):
    assert stated_times(text) == expected


def test_a_source_gets_the_as_of_of_a_printed_structured_output():
    index = ObservationIndex()
    index.add("{'symbol': 'AAPL', 'price': 244.6, 'as_of': '2026-11-20 21:00', 'history_end': '2026-11-25'}",
              step="trader · step 1", tool="stock_quote")
    (verdict,) = check_answer("AAPL is at $244.60.", index).verdicts
    assert verdict.source.as_of == "2026-11-20 21:00"


# 4. Figures the person typed are not invented, but not traced to tool output either: counted and worded apart.
def step(number: int, observations: str, code: str = 'print(stock_quote(symbol="AAPL"))') -> ActionStep:
    return ActionStep(step_number=number, timing=Timing(start_time=0.0), code_action=code,
                      observations=f"Execution logs:\n{observations}")


MESSAGES = [  # (message, tool output, answer, verdicts, badge title, summary)
    ("Is a limit buy at 231.50 sensible?", "Price 244.60", "A limit at $231.50 is below $244.60; $250.00 is a guess.",
     ["from_message", "traced", "untraced"], "⚠️ 1 of 3 figures traced to tool output, 1 from your message",
     {"traced": 1, "from_message": 1, "total": 3}),
    ("Is 244.60 the price of AAPL?", "Price 244.60", "Yes, AAPL is at $244.60.",  # a tool said it too: traced
     ["traced"], "🔎 1 of 1 figure traced to tool output", {"traced": 1, "from_message": 0, "total": 1}),
    ("I hold 25 shares bought at $190.10.", "", "Your 25 shares at $190.10 are the whole position.",
     ["from_message", "from_message"], "🔎 0 of 2 figures traced to tool output, 2 from your message",
     {"traced": 0, "from_message": 2, "total": 2}),
    ("Buy 12 at 240.00", "Price 244.60\ncost of 12 shares: 2935.20",
     "12 shares at $244.60 cost $2,935.20, more than 12 at your $240.00 would.",
     ["traced", "traced", "traced", "traced", "from_message"],
     "🔎 4 of 5 figures traced to tool output, 1 from your message", {"traced": 4, "from_message": 1, "total": 5}),
]


@pytest.mark.parametrize("message, output, answer, expected, title, summary", MESSAGES, ids=[c[0] for c in MESSAGES])
def test_figures_from_the_message_are_counted_apart(message, output, answer, expected, title, summary):
    evidence = Evidence(message)
    if output:
        evidence.add_step("trader", step(1, output))
    final, badge = evidence.answer_items(answer)
    assert [f["verdict"] for f in final.extra["figures"]] == expected
    assert badge.title == title
    assert final.extra["figures_summary"] == badge.extra["figures_summary"] == summary
    assert final.display.count("<abbr") == expected.count("untraced")  # only untraced figures are marked
    attributes = evidence.span_attributes()
    assert attributes["smol_trader.figures.traced"] == summary["traced"]
    assert attributes["smol_trader.figures.from_message"] == summary["from_message"]
    assert attributes["smol_trader.figures.untraced"] == expected.count("untraced")
    if summary["from_message"]:
        assert "💬 from your message" in badge.content and "your message · `you`" in badge.content


def test_the_hover_note_and_badge_say_what_differs():
    evidence = Evidence("How is AAPL?")
    evidence.add_step("trader", step(1, "Price 244.60 change +3.07 (+1.27%) as of 2025-02-14"))
    final, badge = evidence.answer_items("On 2024-06-01 AAPL was at $244.60, down 1.27%.")
    assert [(f["verdict"], (f["mismatch"] or {}).get("reason")) for f in final.extra["figures"]] == [
        ("untraced", "date differs"), ("untraced", "sign differs")]
    assert final.display.count("<abbr") == 2
    assert "date differs: trader · step 1 · stock_quote states this figure for 2025-02-14, not 2024-06-01" in (
        final.display)
    assert "sign differs: trader · step 1 · stock_quote states it as +1.27." in final.display
    assert badge.title == "⚠️ 0 of 2 figures traced to tool output"
    assert "⚠️ date differs: 2025-02-14" in badge.content and "⚠️ sign differs: +1.27" in badge.content
    assert "`stock_quote`: Price 244.60" in badge.content  # the source that disagrees is listed


DATED = [  # (sentence, the date each figure is given): a date belongs to the nearest figure, none across another
    ("On 2024-06-01 AAPL closed at $244.60.", ["2024-06-01"]),
    ("Since its 2024-06-01 low of $169.11, AAPL has gained 44.6% to $244.60.", ["2024-06-01", None, None]),
    ("AAPL closed at $244.60 and rose 1.27% on 2025-02-14.", [None, "2025-02-14"]),
    ("AAPL was $244.60 on 2025-02-14. It is 250.10 now.", ["2025-02-14", None]),
]


@pytest.mark.parametrize("sentence, dates", DATED, ids=[c[0] for c in DATED])
def test_the_date_a_figure_is_given(sentence, dates):
    assert [f.date for f in extract_figures(sentence)] == dates


def test_a_date_that_belongs_to_another_figure_does_not_untrace(index):
    assert verdicts(index, "Since its 2020-12-01 low of $119.27, AAPL has gained 105% to $244.60.") == [
        ("$119.27", "traced", None), ("105%", "untraced", None), ("$244.60", "traced", None)]
