"""The log of the strategies tried, for the refinement table and the over-fitting alarm.

Whose log: a session bound to a lasting workspace keeps its lab in the workspace's database
(`lab_for(session, store)`, store = `workspace.store.WorkspaceStore`), so every tab of the workspace
sees one numbered list and it survives a reload and a restart; the workspace export holds it and
deleting the workspace deletes it. A session without a workspace (or without a store: evals, the
MCP one-off tool) keeps an in-memory lab in `session.extras`. Either way what one person's trader
has tried is theirs alone (rule 5).

A stored entry keeps what the table, the alarm and `/backtest trades N` need (the figures, the spec,
the warnings, the few-trades diagnosis, the trade list), not the equity curves: `entry.report` is
the full `ValidationReport` only for an entry run in this process.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from backtest.diagnostics import diagnose_report
from backtest.metrics import format_value
from backtest.validation import ValidationReport, refinement_warning

SESSION_KEY = "backtest.lab"
MAX_ENTRIES = 50
TRADE_COLUMNS = ("entry_time", "exit_time", "side", "entry_price", "exit_price", "return", "pnl", "bars",
                 "exit_reason")


class LabStore(Protocol):
    """Where a workspace's lab entries live (`workspace.store.WorkspaceStore` implements it); JSON text in and out."""

    def add_lab_entry(self, workspace_id: str, summary: str, trades: str, keep: int) -> int: ...

    def lab_entries(self, workspace_id: str) -> list[tuple[int, str]]: ...

    def lab_entry(self, workspace_id: str, number: int | None) -> tuple[int, str, str] | None: ...


@dataclass(frozen=True)
class SavedDiagnostics:
    """The few-trades diagnosis of a stored entry, as the text it was shown with."""

    short: str
    text: str

    def markdown(self) -> str:
        return self.text


@dataclass
class LabEntry:
    number: int
    symbol: str
    period: str
    interval: str
    report: ValidationReport | None  # None for an entry read back from the workspace database
    warnings: list[str] = field(default_factory=list)
    diagnostics: Any = None  # backtest.diagnostics.Diagnostics when the spec traded rarely or never (#17)
    saved: dict[str, Any] | None = None  # a stored entry's figures, spec and label
    saved_trades: pd.DataFrame | None = None  # a stored entry's trades (None: not loaded)

    @property
    def figures(self) -> dict[str, Any]:
        if self.report is None:
            return dict((self.saved or {}).get("figures") or {})
        is_m, oos_m = self.report.in_sample.metrics, self.report.out_of_sample.metrics
        return {
            "is_return": is_m["total_return"], "is_sharpe": is_m["sharpe"], "is_trades": is_m["trades"],
            "oos_return": oos_m["total_return"], "oos_sharpe": oos_m["sharpe"], "oos_trades": oos_m["trades"],
            "oos_buy_hold": self.report.out_of_sample.benchmark["total_return"],
            "max_drawdown": self.report.full.metrics["max_drawdown"],
        }

    @property
    def label(self) -> str:
        """The spec's one-line description."""
        return self.report.spec.label() if self.report is not None else str((self.saved or {}).get("label", ""))

    @property
    def trades(self) -> pd.DataFrame:
        """The full-period trades (empty when there were none)."""
        if self.report is not None:
            return self.report.full.trades
        if self.saved_trades is not None:
            return self.saved_trades
        return pd.DataFrame(columns=list(TRADE_COLUMNS))

    def to_record(self) -> tuple[str, str]:
        """(summary JSON, trades JSON) for the workspace database."""
        diagnostics = None
        if self.diagnostics is not None:
            diagnostics = {"short": self.diagnostics.short, "text": self.diagnostics.markdown()}
        summary = {"symbol": self.symbol, "period": self.period, "interval": self.interval, "label": self.label,
                   "spec": self.report.spec.to_dict() if self.report is not None else (self.saved or {}).get("spec"),
                   "figures": {k: _plain(v) for k, v in self.figures.items()}, "warnings": list(self.warnings),
                   "diagnostics": diagnostics}
        trades = [{k: _plain(v) for k, v in row.items()} for row in self.trades.to_dict(orient="records")]
        return json.dumps(summary, allow_nan=False), json.dumps(trades, allow_nan=False)

    @classmethod
    def from_record(cls, number: int, summary: str, trades: str | None = None) -> LabEntry:
        data = json.loads(summary)
        diagnostics = data.get("diagnostics")
        # times stay ISO text with their exchange offset (the trade table reads them as they were shown)
        frame = None if trades is None else pd.DataFrame(json.loads(trades), columns=list(TRADE_COLUMNS))
        return cls(number, data["symbol"], data["period"], data["interval"], None, list(data.get("warnings") or []),
                   SavedDiagnostics(diagnostics["short"], diagnostics["text"]) if diagnostics else None,
                   saved=data, saved_trades=frame)


def _plain(value: Any) -> Any:
    """A JSON-safe scalar: numpy numbers as Python numbers, timestamps as ISO text, NaN as None."""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class StrategyLab:
    """The specs tried, oldest first (at most MAX_ENTRIES kept): in memory, or in a workspace's database."""

    def __init__(self, store: LabStore | None = None, workspace_id: str | None = None) -> None:
        self._entries: list[LabEntry] = []
        self._lock = threading.Lock()
        self._counter = 0
        self.store = store if workspace_id else None
        self.workspace_id = workspace_id

    @property
    def entries(self) -> list[LabEntry]:
        """Every entry, oldest first (stored ones without their trades)."""
        if self.store is None:
            with self._lock:
                return list(self._entries)
        return [LabEntry.from_record(number, summary)
                for number, summary in self.store.lab_entries(self.workspace_id)]

    def record(self, symbol: str, period: str, interval: str, report: ValidationReport) -> LabEntry:
        """Log a tried spec; warns when it beats the best earlier spec on the same data only in-sample."""
        with self._lock:
            entry = LabEntry(0, symbol.upper(), period, interval, report, list(report.warnings),
                             diagnose_report(report))
            earlier = self._entries if self.store is None else [
                LabEntry.from_record(number, summary) for number, summary in self.store.lab_entries(self.workspace_id)]
            same_data = [e for e in earlier if (e.symbol, e.period, e.interval) == (entry.symbol, period, interval)]
            if same_data:
                best = max(same_data, key=lambda e: float("-inf") if e.figures["is_sharpe"] is None
                           else e.figures["is_sharpe"])
                warning = refinement_warning(best.figures, entry.figures)
                if warning:
                    entry.warnings.insert(0, warning + f" (compared with #{best.number})")
            if self.store is not None:
                entry.number = self.store.add_lab_entry(self.workspace_id, *entry.to_record(), keep=MAX_ENTRIES)
                return entry
            self._counter += 1
            entry.number = self._counter
            self._entries.append(entry)
            del self._entries[:-MAX_ENTRIES]
            return entry

    def get(self, number: int | None = None) -> LabEntry | None:
        """Entry `number`, or the latest when None (a stored one with its trades)."""
        if self.store is not None:
            row = self.store.lab_entry(self.workspace_id, number)
            return LabEntry.from_record(*row) if row else None
        with self._lock:
            if number is None:
                return self._entries[-1] if self._entries else None
            return next((e for e in self._entries if e.number == number), None)

    def table(self, symbol: str | None = None) -> str:
        """Markdown: every spec tried with its in-sample and out-of-sample figures."""
        rows = [e for e in self.entries if symbol is None or e.symbol == symbol.upper()]
        if not rows:
            return ("No backtests yet in this workspace." if self.store is not None
                    else "No backtests yet in this session.")
        head = ("| # | symbol | spec | IS return | IS Sharpe | OOS return | OOS Sharpe | OOS buy&hold "
                "| trades IS/OOS | warning "
                "| why few trades |\n|---|---|---|---:|---:|---:|---:|---:|---:|---|---|\n")
        lines = []
        for e in rows:
            f = e.figures
            flag = "over-fit?" if any(w.startswith("Over-fitting") for w in e.warnings) else \
                ("caution" if e.warnings else "")
            lines.append(
                f"| {e.number} | {e.symbol} {e.period} {e.interval} | {e.label} | "
                f"{format_value(f['is_return'], 'pct')} | {format_value(f['is_sharpe'], 'num')} | "
                f"{format_value(f['oos_return'], 'pct')} | {format_value(f['oos_sharpe'], 'num')} | "
                f"{format_value(f['oos_buy_hold'], 'pct')} | {f['is_trades']}/{f['oos_trades']} | {flag} | "
                f"{e.diagnostics.short if e.diagnostics else ''} |")
        return head + "\n".join(lines)

    def close(self) -> None:
        with self._lock:
            self._entries.clear()


def lab_for(session: Any, store: LabStore | None = None) -> StrategyLab:
    """The session's lab: its workspace's stored one when `store` is given and the session has a workspace,
    else an in-memory one made on first use."""
    workspace = getattr(session, "workspace", None)
    if store is not None and workspace:
        return session.extra(f"{SESSION_KEY}:{workspace}", lambda: StrategyLab(store, workspace))
    return session.extra(SESSION_KEY, StrategyLab)
