"""Why a spec traded rarely or never, from the data: bars each condition held, operand ranges, thresholds that fire.

For every entry and exit condition: on how many bars it was true; for each
indicator or price operand its range and percentiles over the period; and,
for a comparison against a number, the threshold at which it would have been
true on about 5% of the in-sample bars (the 5th percentile for `<`,
`crosses_above`; the 95th for `>`, `crosses_below`), for conditions true on
fewer than RARE_TRADES bars. Those suggestions are
fitted on the in-sample part and say so: judge them on the out-of-sample part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backtest.engine import SignalBook
from backtest.spec import Condition, Operand

RARE_TRADES = 5  # fewer trades than this over the full period and the diagnostics are shown
PERCENTILES = (5, 25, 50, 75, 95)
LOW_SIDE = ("<", "<=", "crosses_above")  # must dip below the level first: suggest a low percentile


@dataclass(frozen=True)
class OperandRange:
    label: str
    low: float
    high: float
    percentiles: dict[int, float]

    def text(self) -> str:
        pcts = ", ".join(f"p{p} {v:,.2f}" for p, v in self.percentiles.items())
        return f"{self.label} ranged {self.low:,.2f} to {self.high:,.2f} ({pcts})"


@dataclass(frozen=True)
class ConditionCheck:
    role: str  # entry | exit
    label: str
    bars_true: int
    bars_valid: int  # bars where both operands have a value
    operands: tuple[OperandRange, ...]
    suggestion: str  # "" when none applies

    def text(self) -> str:
        line = f"{self.role} `{self.label}`: true on {self.bars_true} of {self.bars_valid} bars"
        detail = "; ".join(o.text() for o in self.operands)
        return line + (f"; {detail}" if detail else "") + (f". {self.suggestion}" if self.suggestion else "")


@dataclass(frozen=True)
class Diagnostics:
    trades: int
    bars: int
    in_sample_bars: int
    checks: tuple[ConditionCheck, ...]
    entry_all_bars: int | None  # bars on which every entry condition held together (None: no entry rules)

    @property
    def short(self) -> str:
        """One cell for the refinement table: the rarest entry condition and its suggestion."""
        entries = [c for c in self.checks if c.role == "entry"] or list(self.checks)
        if not entries:
            return ""
        rarest = min(entries, key=lambda c: c.bars_true)
        span = next((o for o in rarest.operands), None)
        cell = f"`{rarest.label}` true {rarest.bars_true}/{rarest.bars_valid}"
        if span is not None:
            cell += f", {span.label} {span.low:,.1f}..{span.high:,.1f}"
        if rarest.suggestion:
            cell += "; " + rarest.suggestion.split(" (")[0]
        return cell.replace("|", "/")

    def markdown(self) -> str:
        lines = [f"**Why so few trades ({self.trades} over {self.bars} bars)**, from the data:"]
        lines += [f"- {c.text()}" for c in self.checks]
        if self.entry_all_bars is not None and sum(c.role == "entry" for c in self.checks) > 1:
            lines.append(f"- all entry conditions together: true on {self.entry_all_bars} bars")
        if any(c.suggestion for c in self.checks):
            lines.append(f"Suggested thresholds are in-sample (fitted on the first {self.in_sample_bars} bars): "
                         "check them on the out-of-sample figures before trusting them.")
        return "\n".join(lines)


def _range(operand: Operand, values: np.ndarray) -> OperandRange | None:
    finite = values[np.isfinite(values)]
    if operand.is_number or not len(finite):
        return None
    cuts = np.percentile(finite, PERCENTILES)
    return OperandRange(operand.label(), float(finite.min()), float(finite.max()),
                        {p: float(v) for p, v in zip(PERCENTILES, cuts)})


def _suggestion(condition: Condition, book: SignalBook, split: int) -> str:
    """A level for the number side that would have made the condition true about 5% of in-sample bars."""
    left, right = condition.left, condition.right
    if left.is_number == right.is_number:
        return ""
    series, number, op = (left, right, condition.op) if right.is_number else (right, left, _mirror(condition.op))
    values = book.values(series)[:split]
    values = values[np.isfinite(values)]
    if not len(values):
        return ""
    pct = 5 if op in LOW_SIDE else 95
    level = float(np.percentile(values, pct))
    name = series.label()
    shown = f"{name} {op} {level:,.2f}" if right.is_number else f"{level:,.2f} {condition.op} {name}"
    return (f"Would trigger with `{shown}` (in-sample {pct}th percentile of {series.label()}; "
            f"the spec uses {number.value:g})")


def _mirror(op: str) -> str:
    return {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "crosses_above": "crosses_below",
            "crosses_below": "crosses_above"}[op]


def diagnose(prices, spec, split: int, trades: int) -> Diagnostics:
    """Diagnostics of `spec` on prepared `prices`, in-sample being bars [0, split)."""
    book = SignalBook(prices)
    checks = []
    entry_all = None
    for role, conditions in (("entry", spec.entry), ("exit", spec.exit)):
        for condition in conditions:
            left, right = book.values(condition.left), book.values(condition.right)
            true = book.condition(condition)
            if role == "entry":
                entry_all = true.copy() if entry_all is None else entry_all & true
            ranges = tuple(r for r in (_range(condition.left, left), _range(condition.right, right)) if r)
            checks.append(ConditionCheck(role, condition.label(), int(true.sum()),
                                         int((np.isfinite(left) & np.isfinite(right)).sum()), ranges,
                                         _suggestion(condition, book, split) if true.sum() < RARE_TRADES else ""))
    return Diagnostics(trades=trades, bars=len(prices), in_sample_bars=split, checks=tuple(checks),
                       entry_all_bars=None if entry_all is None else int(entry_all.sum()))


def diagnose_report(report) -> Diagnostics | None:
    """Diagnostics for a backtest.validation.ValidationReport that traded rarely or never, else None."""
    trades = int(report.full.metrics.get("trades") or 0)
    prices = report.full.prices
    if report.spec.always_in or trades >= RARE_TRADES or prices is None:
        return None
    split = int(prices.index.searchsorted(report.split_time))
    return diagnose(prices, report.spec, split, trades)
