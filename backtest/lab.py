"""A per-session log of the strategies tried, for the refinement table and the over-fitting alarm.

Why per session: what one person's trader has tried is theirs alone (rule 5);
the lead stores one `StrategyLab` in each `Session` via `lab_for(session)`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from backtest.diagnostics import diagnose_report
from backtest.metrics import format_value
from backtest.validation import ValidationReport, refinement_warning

SESSION_KEY = "backtest.lab"
MAX_ENTRIES = 50


@dataclass
class LabEntry:
    number: int
    symbol: str
    period: str
    interval: str
    report: ValidationReport
    warnings: list[str] = field(default_factory=list)
    diagnostics: Any = None  # backtest.diagnostics.Diagnostics when the spec traded rarely or never (#17)

    @property
    def figures(self) -> dict[str, Any]:
        is_m, oos_m = self.report.in_sample.metrics, self.report.out_of_sample.metrics
        return {
            "is_return": is_m["total_return"], "is_sharpe": is_m["sharpe"], "is_trades": is_m["trades"],
            "oos_return": oos_m["total_return"], "oos_sharpe": oos_m["sharpe"], "oos_trades": oos_m["trades"],
            "oos_buy_hold": self.report.out_of_sample.benchmark["total_return"],
            "max_drawdown": self.report.full.metrics["max_drawdown"],
        }


class StrategyLab:
    """The specs tried in one session, oldest first (at most MAX_ENTRIES kept)."""

    def __init__(self) -> None:
        self.entries: list[LabEntry] = []
        self._lock = threading.Lock()
        self._counter = 0

    def record(self, symbol: str, period: str, interval: str, report: ValidationReport) -> LabEntry:
        """Log a tried spec; warns when it beats the best earlier spec on the same data only in-sample."""
        with self._lock:
            self._counter += 1
            entry = LabEntry(self._counter, symbol.upper(), period, interval, report, list(report.warnings),
                             diagnose_report(report))
            same_data = [e for e in self.entries
                         if (e.symbol, e.period, e.interval) == (entry.symbol, period, interval)]
            if same_data:
                best = max(same_data, key=lambda e: float("-inf") if e.figures["is_sharpe"] is None
                           else e.figures["is_sharpe"])
                warning = refinement_warning(best.figures, entry.figures)
                if warning:
                    entry.warnings.insert(0, warning + f" (compared with #{best.number})")
            self.entries.append(entry)
            del self.entries[:-MAX_ENTRIES]
            return entry

    def get(self, number: int | None = None) -> LabEntry | None:
        """Entry `number`, or the latest when None."""
        with self._lock:
            if number is None:
                return self.entries[-1] if self.entries else None
            return next((e for e in self.entries if e.number == number), None)

    def table(self, symbol: str | None = None) -> str:
        """Markdown: every spec tried with its in-sample and out-of-sample figures."""
        with self._lock:
            rows = [e for e in self.entries if symbol is None or e.symbol == symbol.upper()]
        if not rows:
            return "No backtests yet in this session."
        head = ("| # | symbol | spec | IS return | IS Sharpe | OOS return | OOS Sharpe | OOS buy&hold "
                "| trades IS/OOS | warning "
                "| why few trades |\n|---|---|---|---:|---:|---:|---:|---:|---:|---|---|\n")
        lines = []
        for e in rows:
            f = e.figures
            flag = "over-fit?" if any(w.startswith("Over-fitting") for w in e.warnings) else \
                ("caution" if e.warnings else "")
            lines.append(
                f"| {e.number} | {e.symbol} {e.period} {e.interval} | {e.report.spec.label()} | "
                f"{format_value(f['is_return'], 'pct')} | {format_value(f['is_sharpe'], 'num')} | "
                f"{format_value(f['oos_return'], 'pct')} | {format_value(f['oos_sharpe'], 'num')} | "
                f"{format_value(f['oos_buy_hold'], 'pct')} | {f['is_trades']}/{f['oos_trades']} | {flag} | "
                f"{e.diagnostics.short if e.diagnostics else ''} |")
        return head + "\n".join(lines)

    def close(self) -> None:
        with self._lock:
            self.entries.clear()


def lab_for(session: Any) -> StrategyLab:
    """The session's lab, created on first use."""
    return session.extra(SESSION_KEY, StrategyLab)
