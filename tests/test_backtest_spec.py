"""Strategy specs: the forms a model may write, and clear errors for malformed ones."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest import SpecError, parse_spec, run_backtest
from standins.prices import aapl_2020


@pytest.mark.parametrize("raw, message", [
    ({"strategy": "moon"}, "unknown strategy 'moon'; use one of buy_and_hold, sma_cross"),
    ({"strategy": "rsi", "params": {"lenght": 14}}, "params for rsi: unknown 'lenght'; allowed: period, low, high"),
    ({"strategy": "sma_cross", "params": {"fast": 50, "slow": 20}}, "fast (50) must be shorter than slow (20)"),
    ({"strategy": "sma_cross", "params": {"fast": 2.5}}, "params.fast: must be a whole number of bars"),
    ({"strategy": "sma_cross", "params": {"slow": 5000}}, "from 1 to 1000"),
    ({"strategy": "rsi", "params": {"low": 80, "high": 20}}, "need 0 < low < high < 100"),
    ({"strategy": "rsi", "params": {"low": "thirty"}}, "params.low: expected a number, got 'thirty'"),
    ({"strategy": "rsi", "stop_loss": 5}, "stop_loss must be between 0.001 and 0.99 (a fraction: 0.05 means 5%)"),
    ({"strategy": "rsi", "position_size": 2}, "position_size must be between 0.01 and 1"),
    ({"strategy": "rsi", "direction": "sideways"}, "direction must be one of long, short, long_short"),
    ({"strategy": "buy_and_hold", "direction": "short"}, "buy_and_hold is long only"),
    ({"strategy": "rsi", "leverage": 3}, "unknown spec key(s) 'leverage'"),
    ({"strategy": "custom"}, "a custom strategy needs entry conditions"),
    ({"strategy": "custom", "entry": [["close", "=>", "sma(20)"]]}, "entry[0]: unknown operator '=>'"),
    ({"strategy": "custom", "entry": [["close", ">", "wma(20)"]]}, "entry[0] right: unknown operand 'wma'"),
    ({"strategy": "custom", "entry": [["close", ">", "sma"]]}, "sma needs its period"),
    ({"strategy": "custom", "entry": [["close", ">", "sma(20, 3)"]]}, "sma takes 1 argument(s)"),
    ({"strategy": "custom", "entry": [[1, ">", 2]]}, "compares two numbers"),
    ({"strategy": "custom", "entry": [["close", ">"]]}, "a condition is [left, op, right]"),
    ({"strategy": "custom", "entry": [{"lhs": "close", "op": ">", "rhs": 3}]}, "exactly the keys left, op, right"),
    ({"strategy": "custom", "entry": ["close > sma(50)"], "direction": "short"}, "needs exit (sell) conditions"),
    ({"strategy": "custom", "entry": ["close > __import__('os')"]}, "unknown operand '__import__'"),
    ("{not json", "the spec is not valid JSON"),
    (["rsi"], "a spec is an object"),
])
def test_malformed_specs_name_the_problem(raw, message):
    with pytest.raises(SpecError) as caught:
        parse_spec(raw)
    assert message in str(caught.value)


def test_the_condition_forms_a_model_may_write_are_equivalent():
    forms = [
        {"strategy": "custom", "entry": [["rsi(14)", "<", 30], ["close", ">", "sma(50)"]],
         "exit": [["rsi(14)", ">", 70]]},
        {"strategy": "custom", "entry": ["rsi( 14 ) < 30", "close > SMA(50)"], "exit": "rsi(14) > 70"},
        {"strategy": "custom", "entry": [{"left": "rsi", "op": "<", "right": "30"},
                                         {"left": "close", "op": ">", "right": "sma(50)"}],
         "exit": [{"left": "rsi(14)", "op": ">", "right": 70}]},
        '{"strategy": "custom", "entry": ["rsi(14) < 30", "close > sma(50)"], "exit": ["rsi(14) > 70"]}',
    ]
    parsed = [parse_spec(f) for f in forms]
    assert len({(p.entry, p.exit) for p in parsed}) == 1
    assert parse_spec(parsed[0].to_dict()) == parsed[0]  # the canonical dict round-trips


def test_a_preset_with_extra_rules_is_a_combination():
    spec = parse_spec({"strategy": "rsi", "entry": ["close > sma(50)"], "exit": ["close < bb_lower(20,2)"]})
    assert [c.label() for c in spec.entry] == ["rsi(14) < 30", "close > sma(50)"]
    assert [c.label() for c in spec.exit] == ["rsi(14) > 70", "close < bb_lower(20,2)"]
    plain = run_backtest(aapl_2020(), {"strategy": "rsi", "params": {"low": 45, "high": 60}})
    filtered = run_backtest(aapl_2020(), {"strategy": "rsi", "params": {"low": 45, "high": 60},
                                          "entry": ["close > sma(50)"]})
    assert filtered.metrics["trades"] < plain.metrics["trades"]


@settings(max_examples=40, deadline=None)
@given(strategy=st.sampled_from(["sma_cross", "ema_cross", "rsi", "macd_cross", "bollinger"]),
       a=st.integers(1, 60), b=st.integers(1, 60), low=st.floats(1, 99), high=st.floats(1, 99),
       sl=st.one_of(st.none(), st.floats(0.001, 0.5)), direction=st.sampled_from(["long", "short", "long_short"]))
def test_any_spec_either_runs_or_is_refused_clearly(strategy, a, b, low, high, sl, direction):
    params = {"sma_cross": {"fast": a, "slow": b}, "ema_cross": {"fast": a, "slow": b},
              "rsi": {"period": a, "low": low, "high": high}, "macd_cross": {"fast": a, "slow": b, "signal": 9},
              "bollinger": {"period": max(a, 2), "std": low / 20}}[strategy]
    try:
        result = run_backtest(aapl_2020(), {"strategy": strategy, "params": params, "stop_loss": sl,
                                            "direction": direction})
    except SpecError as exc:
        assert str(exc)  # refused with a message
        return
    assert (result.equity >= 0).all()  # a losing short is closed when it has lost everything, never below
    assert result.metrics["trades"] == len(result.trades)
    assert ((result.equity > 0).all()) or result.trades.exit_reason.iloc[-1] == "bankrupt"
