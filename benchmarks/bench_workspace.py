"""Workspace storage speed: saving streamed steps, loading a long conversation, bytes on disk.

Prints a table; asserts nothing (speed is reported, not tested).
Run: python -m benchmarks.bench_workspace
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from chat.conversation_log import ConversationLog, TurnRecorder
from chat.messages import ChatItem, to_gradio_messages
from core.chart_style import styled
from workspace.db import Database
from workspace.store import WorkspaceStore

STEP_TEXT = ("Thought: I will fetch the last month of prices and compare them with the index.\n```python\n"
             "prices = get_history('AAPL', period='1mo')\nprint(prices.tail())\n```\n") * 3


def chart(days: int = 250) -> go.Figure:
    rng = np.random.default_rng(0)
    close = 100 + np.cumsum(rng.normal(0, 1, days))
    x = [f"2026-{1 + i // 28 % 12:02d}-{1 + i % 28:02d}" for i in range(days)]
    figure = go.Figure(go.Candlestick(x=x, open=close, high=close + 1, low=close - 1, close=close))
    figure.add_trace(go.Bar(x=x, y=rng.integers(1_000_000, 9_000_000, days), yaxis="y2"))
    return styled(figure, title="Chart", height=430)  # as every chart of the app (core/chart_style.py)


def turn_items(n_steps: int, with_chart: bool) -> list[list[ChatItem]]:
    """The snapshots a turn streams: each step appears pending, then is replaced done; a chart and a final."""
    items: list[ChatItem] = []
    snapshots = []
    for step in range(n_steps):
        items = [*items, ChatItem(content=STEP_TEXT, kind="step", title=f"Step {step + 1}", id=f"s{step}",
                                  status="pending")]
        snapshots.append(items)
        items = [*items[:-1], items[-1].with_(status="done", duration=1.2, log="11 → 7 tokens")]
        snapshots.append(items)
    if with_chart:
        items = [*items, ChatItem(content=chart(), kind="chart")]
        snapshots.append(items)
    items = [*items, ChatItem(content="AAPL rose 4.2% over the month (as of 2026-11-20 close).", kind="final",
                              id="final")]
    snapshots.append(items)
    return snapshots


def bench_concurrency_with_saving(tmp: Path, sessions: int = 32) -> float:
    """benchmarks/bench_chat.py's in-process run, each session in its own workspace with its turn saved."""
    import threading

    from chat.service import ChatService
    from chat.session import Session
    from runtime import build_runtime
    from standins.scripted_model import ScriptedModel, Slow, code, final
    from standins.stack import settings_for

    store = WorkspaceStore(Database(tmp / f"concurrency-{time.time_ns()}.sqlite3"))
    settings = settings_for(PAPER_LEDGER_PATH=tmp / "ledger-saving.sqlite3", DATA_DIR=tmp)
    chat = ChatService(build_runtime(settings), conversations=ConversationLog(store), model_factory=lambda: {
        "manager": ScriptedModel([Slow(0.3, code("print(1)")), Slow(0.3, code("print(2)")), Slow(0.3, final("ok"))]),
        "web_agent": ScriptedModel(), "trader": ScriptedModel()})
    list(chat.respond(Session(id="warm", workspace=store.new_anonymous()[0]), "go"))
    people = [Session(id=f"p{i}", workspace=store.new_anonymous()[0]) for i in range(sessions)]
    threads = [threading.Thread(target=lambda s=s: list(chat.respond(s, "go"))) for s in people]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = WorkspaceStore(Database(Path(tmp) / "bench.sqlite3"), max_conversations=10_000, max_bytes=10**12)
        workspace, _ = store.new_anonymous()

        # 1. added latency per streamed snapshot (what ChatService.respond adds before yielding it)
        samples = []
        for turn in range(40):
            conversation = store.create_conversation(workspace, f"turn {turn}")
            recorder = TurnRecorder(store, workspace, conversation.id, 1)
            for snapshot in turn_items(8, with_chart=turn % 4 == 0):
                start = time.perf_counter()
                recorder.save(snapshot)
                samples.append((time.perf_counter() - start) * 1000)
        text_only = sorted(samples)
        rows.append(("save one streamed snapshot (median)", f"{statistics.median(samples):.3f} ms", "≤ 2 ms"))
        rows.append(("save one streamed snapshot (p95)", f"{text_only[int(len(text_only) * 0.95)]:.3f} ms", ""))

        # 2. loading a 200-message conversation with 20 charts, as a reload does (records -> items -> Gradio)
        log = ConversationLog(store)
        long = store.create_conversation(workspace, "long")
        records = []
        for i in range(200):
            if i % 10 == 5:
                item = ChatItem(content=chart(), kind="chart")
            elif i % 10 == 0:
                item = ChatItem(content=f"question {i}", role="user")
            else:
                item = ChatItem(content=STEP_TEXT, kind="step", title=f"Step {i}", id=f"s{i}", status="done")
            records.append((i, item.to_record()))
        store.save(workspace, long.id, records)
        loads = []
        for _ in range(15):
            start = time.perf_counter()
            to_gradio_messages(log.items(workspace, long.id))
            loads.append((time.perf_counter() - start) * 1000)
        rows.append(("load 200 messages incl. 20 charts (median)", f"{statistics.median(loads):.1f} ms", "≤ 150 ms"))

        # 3. bytes on disk per 1,000 text messages (steps of ~600 characters)
        before = Path(tmp, "bench.sqlite3").stat().st_size
        bulk = store.create_conversation(workspace, "bulk")
        store.save(workspace, bulk.id, [(i, ChatItem(content=STEP_TEXT, kind="step", title=f"Step {i}", id=f"s{i}",
                                                     status="done").to_record()) for i in range(1000)])
        store.db.read("PRAGMA wal_checkpoint(TRUNCATE)")
        grown = Path(tmp, "bench.sqlite3").stat().st_size - before
        rows.append(("database bytes per 1,000 step messages", f"{grown / 1e6:.2f} MB",
                     f"{len(STEP_TEXT)} chars each"))
        rows.append(("chart record size (1y candlestick + volume)",
                     f"{len(ChatItem(content=chart(), kind='chart').to_record()) / 1e3:.0f} kB", ""))

        # 4. the 32-session in-process chat benchmark (benchmarks/bench_chat.py) without and with saving
        from benchmarks.bench_chat import bench_concurrency_in_process

        base = statistics.median(bench_concurrency_in_process(Path(tmp)) for _ in range(3))
        saved = statistics.median(bench_concurrency_with_saving(Path(tmp)) for _ in range(3))
        rows.append(("32 sessions × 3 steps × 300 ms in-process, without saving", f"{base:.2f} s", ""))
        rows.append(("the same, every snapshot saved to the workspace store", f"{saved:.2f} s",
                     f"within 10% ({100 * (saved / base - 1):+.1f}%)"))

    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)} | value | target")
    print(f"{'-' * width}-|-------|-------")
    for label, value, target in rows:
        print(f"{label.ljust(width)} | {value} | {target}")


if __name__ == "__main__":
    main()
