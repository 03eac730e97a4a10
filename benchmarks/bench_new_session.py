"""Gradio's cost of a new session on this page (issue 24): what every new visitor's first event and every `/config`
pay, with the page's component signatures remembered (ui/component_signatures.py) and without. Prints a table.

    python benchmarks/bench_new_session.py

A new Gradio session copies the description of every block of the page (`gradio.state_holder.SessionState`); a
`/config` describes them all too (`Blocks.get_config_file`). Both are timed in-process, the median of 200.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"

ROUNDS = 200


def median_ms(fn) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    from gradio.state_holder import SessionState

    import app
    from standins.stack import local_stack
    from ui.component_signatures import page_constructors

    with tempfile.TemporaryDirectory() as tmp, local_stack(Path(tmp)) as stack:
        demo = app.SmolTraderApp(stack.settings, stack.runtime, model_factory=None).build()
        inits = page_constructors(demo)  # each carries its signature (the app's build stored them)
        rows = []
        for label in ("without remembered signatures", "with remembered signatures (the app)"):
            stored = {init: vars(init).pop("__signature__") for init in inits} if label.startswith("without") else {}
            rows.append((label, median_ms(lambda: SessionState(demo)), median_ms(demo.get_config_file)))
            for init, signature in stored.items():
                init.__signature__ = signature
    print(f"New session on this page ({len(demo.blocks)} blocks), median of {ROUNDS}, {time.strftime('%Y-%m-%d')}, "
          f"{os.cpu_count()} cores")
    print("| page | new session (SessionState) | /config (get_config_file) |")
    print("|---|---|---|")
    for label, session_ms, config_ms in rows:
        print(f"| {label} | {session_ms:.2f} ms | {config_ms:.2f} ms |")


if __name__ == "__main__":
    main()
