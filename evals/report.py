"""Totals, the markdown table, the JSON file and the side-by-side comparison of two runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from evals.scoring import TaskScore

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SUMMED = ("figures_traced", "figures_total", "steps", "model_calls", "tokens_in", "tokens_out", "errors")


def totals(scores: list[TaskScore]) -> dict:
    out = {"tasks": len(scores), "correct": sum(1 for s in scores if s.correct)}
    out["correct_ratio"] = round(out["correct"] / len(scores), 4) if scores else None
    for key in SUMMED:
        out[key] = sum(getattr(s, key) for s in scores)
    out["traced_ratio"] = round(out["figures_traced"] / out["figures_total"], 4) if out["figures_total"] else None
    out["wall_s"] = round(sum(s.wall_s for s in scores), 3)
    return out


def _ratio(value) -> str:
    return "—" if value is None else f"{value:.0%}"


def table(results: dict) -> str:
    rows = ["| task | category | correct | traced | steps | model calls | tokens in/out | wall s | errors | why not |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for t in results["tasks"]:
        why = "; ".join(t["failures"])[:120].replace("|", "\\|")
        rows.append(f"| {t['id']} | {t['category']} | {'✅' if t['correct'] else '❌'} "
                    f"| {_ratio(t['traced_ratio'])} | "
                    f"{t['steps']} | {t['model_calls']} | {t['tokens_in']:,}/{t['tokens_out']:,} "
                    f"| {t['wall_s']:.1f} | "
                    f"{t['errors']} | {why} |")
    s = results["totals"]
    rows.append(f"| **total** ({results['model']}) | | **{s['correct']}/{s['tasks']}** "
                f"| {_ratio(s['traced_ratio'])} | "
                f"{s['steps']} | {s['model_calls']} | {s['tokens_in']:,}/{s['tokens_out']:,} | {s['wall_s']:.1f} | "
                f"{s['errors']} | |")
    return "\n".join(rows)


def save(results: dict, directory: Path = RESULTS_DIR, now: dt.datetime | None = None) -> Path:
    now = now or dt.datetime.now(dt.UTC)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{now.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return path


def _mark(task: dict) -> str:
    return "—" if not task else ("✅" if task["correct"] else "❌")


def _cells(task: dict) -> tuple[str, str, str]:
    """(traced, steps, tokens) of one task, or dashes when the run did not have it."""
    if not task:
        return "—", "—", "—"
    return _ratio(task["traced_ratio"]), str(task["steps"]), f"{task['tokens_in'] + task['tokens_out']:,}"


def compare(first: dict, second: dict) -> str:
    """Two runs side by side: per task correct and cost, and the totals."""
    a = {t["id"]: t for t in first["tasks"]}
    b = {t["id"]: t for t in second["tasks"]}
    rows = ["| task | A correct | B correct | A traced | B traced | A steps | B steps | A tokens | B tokens |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for task_id in dict.fromkeys([*a, *b]):
        x, y = a.get(task_id, {}), b.get(task_id, {})
        (xt, xs, xk), (yt, ys, yk) = _cells(x), _cells(y)
        rows.append(f"| {task_id} | {_mark(x)} | {_mark(y)} | {xt} | {yt} | {xs} | {ys} | {xk} | {yk} |")
    s, t = first["totals"], second["totals"]
    rows.append(f"| **total** | **{s['correct']}/{s['tasks']}** | **{t['correct']}/{t['tasks']}** | "
                f"{_ratio(s['traced_ratio'])} | {_ratio(t['traced_ratio'])} | {s['steps']} | {t['steps']} | "
                f"{s['tokens_in'] + s['tokens_out']:,} | {t['tokens_in'] + t['tokens_out']:,} |")
    return f"A = {first['model']}, B = {second['model']}\n\n" + "\n".join(rows)
