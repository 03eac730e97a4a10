"""Compact markdown for one lab entry and for a trade list: shared by the tools and /backtest.

Kept to a few kB so it fits a model's context and a chat bubble.
"""

from __future__ import annotations

import json

import pandas as pd

from backtest.engine import BacktestResult
from backtest.lab import LabEntry
from backtest.metrics import format_value, metrics_table

MAX_TRADE_ROWS = 40


def _day(value) -> str:
    stamp = pd.Timestamp(value)
    return stamp.strftime("%Y-%m-%d %H:%M") if (stamp.hour or stamp.minute) else stamp.strftime("%Y-%m-%d")


def entry_markdown(entry: LabEntry) -> str:
    """Headline, spec, the metrics table (full / in-sample / out-of-sample / buy-and-hold), walk-forward, warnings."""
    report = entry.report
    if report is None:  # an entry read back from the workspace database: its figures, not its equity curves
        f = entry.figures
        lines = [f"**Backtest #{entry.number}: {entry.symbol} {entry.period} {entry.interval} — {entry.label}**",
                 f"In-sample return {format_value(f.get('is_return'), 'pct')}, Sharpe "
                 f"{format_value(f.get('is_sharpe'), 'num')}; out-of-sample return "
                 f"{format_value(f.get('oos_return'), 'pct')}, Sharpe {format_value(f.get('oos_sharpe'), 'num')} "
                 f"(buy&hold {format_value(f.get('oos_buy_hold'), 'pct')}); trades {f.get('is_trades')}/"
                 f"{f.get('oos_trades')}."]
        lines += [f"⚠️ {w}" for w in entry.warnings]
        return "\n".join(lines + ([entry.diagnostics.markdown()] if entry.diagnostics is not None else []))
    full, ins, oos = report.full, report.in_sample, report.out_of_sample
    lines = [
        f"**Backtest #{entry.number}: {entry.symbol} {entry.period} {entry.interval} — {report.spec.label()}**",
        f"{_day(full.equity.index[0])} → {_day(full.equity.index[-1])} ({full.metrics['bars']} bars); "
        f"out-of-sample from {_day(report.split_time)}. Fills at next open; costs: commission "
        f"{report.spec.commission:.2%}, slippage {report.spec.slippage:.2%} per side.",
        f"Spec: `{json.dumps(report.spec.to_dict(), separators=(',', ':'))}`",
        "",
        metrics_table({"full": full.metrics, "in-sample": ins.metrics, "out-of-sample": oos.metrics,
                       "buy&hold full": full.benchmark, "buy&hold OOS": oos.benchmark}),
    ]
    wf = report.walk_forward
    if len(wf):
        beat = int((wf["return"] > wf["buy_hold_return"]).sum())
        cells = ", ".join(f"{_day(r.test_start)[:7]}…{_day(r.test_end)[:7]}: {format_value(r['return'], 'pct')} "
                          f"(B&H {format_value(r.buy_hold_return, 'pct')})" for _, r in wf.iterrows())
        lines += ["", f"Walk-forward ({len(wf)} windows, beats buy-and-hold in {beat}): {cells}"]
    if entry.warnings:
        lines += [""] + [f"⚠️ {w}" for w in entry.warnings]
    if entry.diagnostics is not None:  # #17: why it traded rarely or never
        lines += ["", entry.diagnostics.markdown()]
    return "\n".join(lines)


def trades_markdown(result: BacktestResult | pd.DataFrame, limit: int = MAX_TRADE_ROWS) -> str:
    """The trade list (a result's, or a stored entry's frame) as a markdown table (the last `limit` when more)."""
    trades = result if isinstance(result, pd.DataFrame) else result.trades
    if not len(trades):
        return "No trades."
    shown = trades.tail(limit)
    head = (f"{len(trades)} trade(s)" + (f", the last {limit} shown" if len(trades) > limit else "") + "\n\n"
            "| entry | exit | side | entry price | exit price | return | bars | exit reason |\n"
            "|---|---|---|---:|---:|---:|---:|---|\n")
    rows = [f"| {_day(t.entry_time)} | {_day(t.exit_time)} | {t.side} | {t.entry_price:.2f} | {t.exit_price:.2f} | "
            f"{t['return'] * 100:+.2f}% | {t.bars} | {t.exit_reason} |" for _, t in shown.iterrows()]
    return head + "\n".join(rows)
