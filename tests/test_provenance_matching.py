"""Table-driven: an answer's figure against observations in the tools' own formats, and the as-of it gets."""

from __future__ import annotations

import pytest

from provenance import ObservationIndex, check_answer
from provenance.observations import stated_times

QUOTE = """AAPL (Apple Inc.) on NasdaqGS, USD
Price 244.60  change +3.07 (+1.27%)  previous close 241.53
Day range 241.00 - 245.41  open 241.07
Volume 40.90M  market cap 3.67T
Market state CLOSED; data time 2025-02-14 21:00 UTC (real-time); source Nasdaq via Yahoo Finance"""
HISTORY = """AAPL 1d bars from 2020-12-01 to 2020-12-31 (22 bars; source Yahoo Finance, adjusted)
Close 121.97 -> 131.88 (+8.12%); high 137.94, low 119.27; average volume 105.55M
date | open | high | low | close | volume
2020-12-01 | 120.27 | 122.71 | 119.27 | 121.97 | 127.73M
2020-12-02 | 121.27 | 122.61 | 120.15 | 122.33 | 89.00M"""
PRINTED = """Execution logs:
net income 23636000000
margin 0.2431
1. Drivine - Graph Database Client
https://example.com/posts/05-codegen?id=77"""

CASES = [  # (answer, traced?, step of the source or None)
    ("$244.60", True, "trader · step 1"),
    ("244.6", True, "trader · step 1"),
    ("$244", False, None),
    ("$245", True, "trader · step 1"),  # the day's high, 245.41
    ("about $245", True, "trader · step 1"),
    ("1.3%", True, "trader · step 1"),
    ("1.27%", True, "trader · step 1"),
    ("0.0127", True, "trader · step 1"),  # the fraction of a stated percentage
    ("3.67 trillion", True, "trader · step 1"),
    ("$3.7T", True, "trader · step 1"),
    ("40.9 million", True, "trader · step 1"),
    ("41M", True, "trader · step 1"),
    ("$23.6 billion", True, "python · step 2"),
    ("$23,636,000,000", True, "python · step 2"),
    ("24.3%", True, "python · step 2"),
    ("24.31%", True, "python · step 2"),
    ("$131.88", True, "trader · step 3"),
    ("+8.1%", True, "trader · step 3"),
    ("$122.33", True, "trader · step 3"),
    ("$250.10", False, None),
    ("12.5%", False, None),
    ("77", False, None),  # only inside a URL
    ("$4.2 trillion", False, None),
]


@pytest.fixture(scope="module")
def index():
    index = ObservationIndex()
    index.add(QUOTE, step="trader · step 1", tool="stock_quote")
    index.add(PRINTED, step="python · step 2", tool="python")
    index.add(HISTORY, step="trader · step 3", tool="price_history")
    return index


@pytest.mark.parametrize("answer, traced, step", CASES, ids=[c[0] for c in CASES])
def test_verdicts(index, answer, traced, step):
    (verdict,) = check_answer(f"It is {answer}.", index).verdicts
    assert (verdict.verdict == "traced") is traced
    assert (verdict.source.step if verdict.source else None) == step


def test_sources_carry_the_line_and_its_as_of(index):
    report = check_answer("AAPL at $244.60; on 2020-12-02 it closed at $122.33; the month ended at 131.88.", index)
    price, row, summary = report.verdicts
    assert price.source.line.startswith("Price 244.60") and price.source.as_of == "2025-02-14 21:00 UTC"
    assert row.source.line.startswith("2020-12-02 |") and row.source.as_of == "2020-12-02"
    assert summary.source.as_of == "2020-12-31"  # the header's "to" date, the line above
    assert report.summary() == {"traced": 3, "from_message": 0, "total": 3}


def test_a_date_next_to_a_figure_prefers_the_line_with_that_date():
    index = ObservationIndex()
    index.add("2020-12-01 | 120.00 | 1.00\n2020-12-02 | 120.00 | 2.00", step="s", tool="t")
    (verdict,) = check_answer("On 2020-12-02 it opened at 120.00.", index).verdicts
    assert verdict.source.line.startswith("2020-12-02")


def test_stated_times():
    assert stated_times("x\nas of 2025-02-14: 3\nrow 2024-01-01 and 2024-01-05\n") == [
        (2, "2025-02-14"), (3, "2024-01-05")]


def test_json_is_plain():
    index = ObservationIndex()
    index.add("Price 10.50", step="trader · step 1", tool="stock_quote")
    assert check_answer("$10.50 and $99.99", index).to_json() == [
        {"text": "$10.50", "value": 10.5, "verdict": "traced",
         "source": {"step": "trader · step 1", "tool": "stock_quote", "line": "Price 10.50", "as_of": None},
         "mismatch": None},
        {"text": "$99.99", "value": 99.99, "verdict": "untraced", "source": None, "mismatch": None}]
