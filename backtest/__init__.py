"""The strategy lab: structured strategy specs, a vectorised backtest engine, metrics,
in-/out-of-sample validation, charts and a per-session log of the specs tried.

Core API: `run_backtest(prices, spec) -> BacktestResult`.
"""

from backtest.engine import BacktestResult, run_backtest
from backtest.spec import BacktestError, DataError, SpecError, StrategySpec, parse_spec

__all__ = ["BacktestError", "BacktestResult", "DataError", "SpecError", "StrategySpec", "parse_spec", "run_backtest"]
