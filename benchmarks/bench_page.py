"""Page speed in Debian's Chromium: load to interactive, and to the first paint of a 200-message conversation with
20 charts (a reload of a long conversation), at 1366x768.

Prints a table; asserts nothing (speed is reported, not tested). Target: ≤ 2 s on 2 cores.
Run: python -m benchmarks.bench_page
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.bench_workspace import STEP_TEXT, chart
from chat.messages import ChatItem

RUNS = 3
INTERACTIVE = "() => { const box = document.querySelector('#message textarea'); return !!box && !box.disabled; }"
TEXT = "() => (document.querySelector('#chatbot')?.innerText || '').includes('question 190')"
CHARTS = "(charts) => document.querySelectorAll('#chatbot .js-plotly-plot .main-svg').length >= charts"


def long_conversation(store, workspace: str) -> None:
    """200 messages: a question every 10, a chart every 10 (20 charts), done steps between."""
    conversation = store.create_conversation(workspace, "long")
    records = []
    for i in range(200):
        if i % 10 == 5:
            item = ChatItem(content=chart(), kind="chart", title=f"Chart {i}")
        elif i % 10 == 0:
            item = ChatItem(content=f"question {i}", role="user")
        else:
            item = ChatItem(content=STEP_TEXT, kind="step", title=f"Step {i}", id=f"s{i}", status="done")
        records.append((i, item.to_record()))
    store.save(workspace, conversation.id, records)


def main() -> None:
    from playwright.sync_api import sync_playwright

    from standins.live_app import running_app
    from standins.scripted_model import ScriptedModel
    from tests.browser import CHROMIUM, CHROMIUM_ARGS
    from workspace.access import HEADER

    rows = []
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp), lambda: ScriptedModel()) as (url, _stack, ui), \
            sync_playwright() as playwright:
        store = ui.runtime.workspaces.store
        workspace, key = store.new_anonymous()
        long_conversation(store, workspace)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        empty, full = [], []
        for run in range(RUNS + 1):  # the first run warms the server's caches and is not counted
            for sample, headers in ((empty, {}), (full, {HEADER: key})):
                context = browser.new_context(viewport={"width": 1366, "height": 768}, extra_http_headers=headers)
                page = context.new_page()
                page.set_default_timeout(60_000)
                start = time.perf_counter()
                page.goto(url)
                page.wait_for_function(INTERACTIVE, polling=20)
                interactive = time.perf_counter() - start
                if headers:
                    page.wait_for_function(TEXT, polling=20)  # the conversation's newest messages painted
                    text = time.perf_counter() - start
                    page.wait_for_function(CHARTS, arg=20, polling=50)  # and every one of its 20 charts drawn
                    charts = time.perf_counter() - start
                    if run:
                        sample.append((interactive, text, charts))
                elif run:
                    sample.append((interactive, interactive, interactive))
                context.close()
        browser.close()
    rows.append(("empty page: load to interactive (median)", f"{statistics.median(s[0] for s in empty):.2f} s",
                 "≤ 2 s"))
    rows.append(("200 messages, 20 charts: load to interactive (median)",
                 f"{statistics.median(s[0] for s in full):.2f} s", "≤ 2 s"))
    rows.append(("200 messages, 20 charts: to the conversation painted (median)",
                 f"{statistics.median(s[1] for s in full):.2f} s", "≤ 2 s"))
    rows.append(("200 messages, 20 charts: to all 20 charts drawn (median)",
                 f"{statistics.median(s[2] for s in full):.2f} s", "Gradio draws plots one by one"))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}} | value   | target")
    print("-" * (width + 20))
    for name, value, target in rows:
        print(f"{name:<{width}} | {value:<7} | {target}")


if __name__ == "__main__":
    main()
