"""python -m evals [--model ID] [--tasks FILE] [--only ID_OR_CATEGORY ...] [--repeat N] | --compare A.json B.json"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from pathlib import Path

from core.errors import UserError
from evals.report import compare, save, table
from evals.runner import model_env, run_evals
from evals.tasks import DEFAULT_TASKS, load_tasks


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m evals", description="Measure how well a model drives the team.")
    p.add_argument("--model", help="MODEL_ID to use (default: what the app's settings choose)")
    p.add_argument("--tasks", default=str(DEFAULT_TASKS), help="task YAML file (default: evals/tasks.yaml)")
    p.add_argument("--only", nargs="*", help="only these task ids or categories")
    p.add_argument("--repeat", type=int, default=1, help="run every task N times")
    p.add_argument("--out", help="directory for the JSON results (default: evals/results)")
    p.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"), help="print two runs side by side")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.compare:
        first, second = (json.loads(Path(path).read_text(encoding="utf-8")) for path in args.compare)
        print(compare(first, second))
        return 0
    warnings.simplefilter("ignore")  # yfinance's pandas deprecation notes are not the person's concern
    warnings.showwarning = lambda *args, **kwargs: None  # survives libraries' catch_warnings() in other threads
    logging.basicConfig(level=logging.WARNING)
    try:
        tasks = load_tasks(args.tasks, args.only)
    except UserError as exc:
        print(exc.user_message, file=sys.stderr)
        return 2
    if not tasks:
        print("No task matches.", file=sys.stderr)
        return 2

    def progress(result) -> None:
        print(f"{'✅' if result.correct else '❌'} {result.id} ({result.wall_s:.1f} s)", file=sys.stderr, flush=True)

    results = run_evals(tasks, repeat=max(1, args.repeat), env=model_env(args.model), progress=progress)
    print(table(results))
    path = save(results, Path(args.out)) if args.out else save(results)
    print(f"\nResults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
