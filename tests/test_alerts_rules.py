"""Alert rules: parsing with clear messages, and the vectorised evaluation's crossing semantics."""

from __future__ import annotations

from datetime import UTC

import numpy as np
import pytest

from alerts.evaluate import SymbolSnapshot, evaluate
from alerts.rules import AlertInputError, AlertRule, parse_rule


def test_every_form_parses_and_round_trips():
    cases = {
        "aapl above 200": AlertRule("AAPL", "price", "above", 200.0),
        "MSFT below 1,234.5": AlertRule("MSFT", "price", "below", 1234.5),
        "TSLA move 5": AlertRule("TSLA", "move", "either", 5.0),
        "TSLA move -3%": AlertRule("TSLA", "move", "below", -3.0),
        "TSLA move +4": AlertRule("TSLA", "move", "above", 4.0),
        "NVDA rsi above 70": AlertRule("NVDA", "rsi", "above", 70.0, "rsi14"),
        "NVDA rsi7 below 25": AlertRule("NVDA", "rsi", "below", 25.0, "rsi7"),
        "QQQ cross sma50": AlertRule("QQQ", "cross", "cross", 0.0, "sma50"),
        "QQQ cross EMA20": AlertRule("QQQ", "cross", "cross", 0.0, "ema20"),
    }
    for text, rule in cases.items():
        parsed = parse_rule(text.split())
        assert parsed == rule, text
        assert parse_rule(parsed.text().split()) == parsed


@pytest.mark.parametrize("text, says", [
    ("AAPL", "needs a symbol, a condition and a value"),
    ("AAPL above ten", "is not a number"),
    ("AAPL above -5", "above 0"),
    ("AAPL rsi above 170", "between 0 and 100"),
    ("AAPL cross sma", "is not a moving average"),
    ("AAPL sideways 3", "is not an alert condition"),
    ("$$$ above 3", "is not a ticker symbol"),
    ("AAPL move 0", "between 0 and 100"),
])
def test_bad_input_says_what_is_wrong(text, says):
    with pytest.raises(AlertInputError) as caught:
        parse_rule(text.split())
    assert says in caught.value.user_message


def run(rules: list[AlertRule], last: list[int], snaps: dict[str, SymbolSnapshot]):
    column = lambda name, kind=object: np.array([getattr(r, name) for r in rules], dtype=kind)  # noqa: E731
    return evaluate(column("symbol"), column("kind"), column("op"), column("threshold", float),
                    column("indicator"), np.array(last), snaps)


def snap(price, change=0.0, **indicators):
    return {"X": SymbolSnapshot("X", price, change, None, indicators)}


def test_level_rules_fire_once_per_crossing_and_rearm():
    rules = [AlertRule("X", "price", "above", 100.0), AlertRule("X", "price", "below", 90.0),
             AlertRule("X", "move", "either", 5.0), AlertRule("X", "rsi", "above", 70.0, "rsi14")]
    result = run(rules, [-1, -1, -1, -1], snap(101.0, change=-6.0, rsi14=71.0))
    assert result.fired.tolist() == [True, False, True, True]
    again = run(rules, result.state.tolist(), snap(102.0, change=-7.0, rsi14=75.0))
    assert not again.fired.any()  # still above: no second notification
    back = run(rules, again.state.tolist(), snap(95.0, change=1.0, rsi14=60.0))
    assert not back.fired.any() and back.state.tolist() == [0, 0, 0, 0]  # re-armed
    assert run(rules, back.state.tolist(), snap(100.0, rsi14=70.0)).fired.tolist() == [True, False, False, True]


def test_average_cross_fires_on_side_changes_only_and_unknown_values_keep_state():
    rules = [AlertRule("X", "cross", "cross", 0.0, "sma50")]
    first = run(rules, [-1], snap(100.0, sma50=90.0))
    assert not first.fired.any() and first.state.tolist() == [1]  # first look only records the side
    assert not run(rules, [1], snap(95.0, sma50=90.0)).fired.any()
    assert run(rules, [1], snap(89.0, sma50=90.0)).fired.tolist() == [True]
    assert run(rules, [0], snap(91.0, sma50=90.0)).fired.tolist() == [True]
    unknown = run(rules, [0], snap(91.0, sma50=float("nan")))
    assert not unknown.fired.any() and unknown.state.tolist() == [-1]
    missing = run([AlertRule("Y", "price", "above", 1.0)], [-1], snap(5.0))
    assert not missing.fired.any()


def test_brief_slots_daily_on_sessions_and_weekly_on_its_day():
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from alerts.briefs import due_slot, latest_slot, parse_schedule
    from alerts.store import Brief

    ny = ZoneInfo("America/New_York")
    weekday_only = lambda day: day.weekday() < 5 and day != date(2026, 11, 26)  # noqa: E731 (Thanksgiving off)
    assert parse_schedule(["weekly", "Friday", "17:05"]) == ("weekly", "17:05", 4)
    assert parse_schedule(["daily", "7:00"]) == ("daily", "07:00", None)
    weekly = Brief("B-1", "ws", "weekly", "17:05", 4, None, "2026-11-01T00:00:00+00:00")
    saturday = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
    assert latest_slot(weekly, saturday, ny, weekday_only) == datetime(2026, 11, 27, 17, 5, tzinfo=ny)
    assert due_slot(weekly, weekly.created, saturday, ny, weekday_only) is None  # a day late: stale, skipped
    friday_evening = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)  # 17:30 New York
    assert due_slot(weekly, weekly.created, friday_evening, ny, weekday_only) == "2026-11-27T22:05:00+00:00"
    daily = Brief("B-2", "ws", "daily", "08:30", None, None, "2026-11-01T00:00:00+00:00")
    thanksgiving = datetime(2026, 11, 26, 13, 45, tzinfo=UTC)
    assert latest_slot(daily, thanksgiving, ny, weekday_only) == datetime(2026, 11, 25, 8, 30, tzinfo=ny)
