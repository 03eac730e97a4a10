"""How long the non-browser entry points take on a local app: an MCP tool call, a run from POST to done, a scrape.

Run: python benchmarks/bench_integrations.py   (Yahoo is the tests' 127.0.0.1 replay server; no model needed:
runs are slash commands, so the figures are our overhead, not a model's.)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REPEAT = 20


def timed(fn, repeat: int = REPEAT) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def mcp_calls(url: str, repeat: int) -> list[float]:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def main():
        async with streamablehttp_client(url + "mcp") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    await session.call_tool("stock_quote", {"symbol": "AAPL"})
                    times.append((time.perf_counter() - started) * 1000)
                return times

    return asyncio.run(main())


def run_to_done(url: str) -> None:
    import requests

    body = requests.post(url + "api/runs", json={"message": "/quote AAPL"}, timeout=10).json()
    headers = {"X-Smol-Workspace": body["workspace"]}
    while requests.get(f"{url}api/runs/{body['id']}", headers=headers, timeout=10).json()["status"] not in (
            "done", "failed", "stopped"):
        time.sleep(0.01)


def main() -> None:
    import requests

    from standins.live_app import running_app

    with tempfile.TemporaryDirectory() as tmp, \
            running_app(Path(tmp), None, RATE_LIMIT_TURNS_PER_MINUTE=0, RUNS_MAX_QUEUED=5) as (url, _, _):
        rows = [
            ("MCP stock_quote call (cached quote, one session)", mcp_calls(url, REPEAT)),
            ("POST /api/runs '/quote AAPL' -> polled to done", timed(lambda: run_to_done(url))),
            ("GET /metrics", timed(lambda: requests.get(url + "metrics", timeout=10))),
        ]
    print(f"{'what':52} {'median ms':>10} {'p90 ms':>8} {'n':>4}")
    for name, values in rows:
        p90 = sorted(values)[int(len(values) * 0.9) - 1]
        print(f"{name:52} {statistics.median(values):10.1f} {p90:8.1f} {len(values):4}")


if __name__ == "__main__":
    main()
