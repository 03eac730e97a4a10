"""Replicas benchmark (issue 26): SQLite on one replica against PostgreSQL on one and two. Prints tables; never part
of the test suite.

    python benchmarks/bench_replicas.py --postgres 'postgresql://postgres@/postgres?host=/run/postgresql'

`--postgres` names a server (a database on it is created for each measure and dropped after; the Unix-socket URL
measures what a replica next to its database gets). Without it only the SQLite rows are printed.

1. 64 sessions x 3 model steps x 300 ms through HTTP (each person a thread with its own gradio_client, in 4 client
   processes; with two replicas, people alternate between them as a sticky load balancer would spread them): wall
   time until the last answer (ideal ~0.9 s).
2. Per-step save of a streamed turn (WorkspaceStore.save of one ~2 KB chat item): median and p95 (target <= 2 ms on
   PostgreSQL over a local socket).
3. Ticket confirm: claim (compare-and-set), paper fill, mark executed; median and p95.
4. Alert check of 10,000 rules (1,000 workspaces, 500 symbols from the Yahoo replay): a warm check, and one writing
   every crossing state and its notifications.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
warnings.simplefilter("ignore")

from gradio_client import Client  # noqa: E402

from standins.live_app import free_port  # noqa: E402

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ITEM = '{"role": "assistant", "kind": "step", "content": "' + "x" * 2000 + '"}'


@contextlib.contextmanager
def database(server: str | None, tmp: Path):
    """A target for the stores: a fresh PostgreSQL database on `server` (dropped after), or a SQLite file."""
    if not server:
        yield str(tmp / f"bench-{secrets.token_hex(3)}.sqlite3")
        return
    import psycopg

    name = "bench_" + secrets.token_hex(4)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base, _, rest = server.partition("?")
    url = base.rpartition("/")[0] + "/" + name + (("?" + rest) if rest else "")
    try:
        yield url
    finally:
        from core.db import _engines

        for key in [k for k in _engines if f"/{name}" in k]:
            _engines.pop(key).dispose()
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def percentiles(samples: list[float]) -> str:
    samples = sorted(samples)
    return f"{statistics.median(samples) * 1000:.2f} / {samples[int(len(samples) * 0.95)] * 1000:.2f} ms"


def bench_save(target: str) -> str:
    from core.db import Database
    from workspace.store import WorkspaceStore

    store = WorkspaceStore(Database(target))
    ws, _ = store.new_anonymous()
    chat = store.create_conversation(ws, "bench")
    samples = []
    for i in range(400):
        started = time.perf_counter()
        store.save(ws, chat.id, [(i % 40, ITEM)])
        samples.append(time.perf_counter() - started)
    store.db.close()
    return percentiles(samples[50:])


def bench_confirm(target: str) -> str:
    from trading.broker import OrderRequest
    from trading.paper import PaperBroker
    from trading.risk import RiskReport
    from trading.tickets import EXECUTED, EXECUTING, TicketBook

    risk = RiskReport(checks=(), est_price=10.0, est_qty=1, est_cost=10.0, pct_of_equity=0.01)
    broker = PaperBroker(target, "acct", starting_cash=10_000_000, price_of=lambda s: 10.0, now=lambda: NOW)
    book = TicketBook(target, workspace="ws", account="acct", ttl_s=3600)
    samples = []
    for i in range(150):
        ticket = book.create(OrderRequest(symbol="AAPL", side="buy", qty=1, client_order_id=f"c{i}"), risk, NOW)
        started = time.perf_counter()
        assert book.claim(ticket, NOW)
        order = broker.submit(ticket.order)
        book.update(ticket, EXECUTING, status=EXECUTED, result=order)
        samples.append(time.perf_counter() - started)
    broker.close()
    book.close()
    return percentiles(samples[20:])


def bench_alert_check(target: str, rules: int = 10_000, symbols: int = 500) -> tuple[str, str]:
    import yfinance

    from alerts.rules import parse_rule
    from alerts.service import AlertService
    from alerts.store import AlertStore, utc_text
    from benchmarks.bench_alerts import SOURCES, rule_words
    from market.client import MarketData
    from standins.yahoo import YahooReplay

    tmp = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    yfinance.set_tz_cache_location(str(tmp / "yf"))
    names = [f"S{i:03d}X" for i in range(symbols)]
    with YahooReplay(aliases={s: SOURCES[i % len(SOURCES)] for i, s in enumerate(names)}) as yahoo:
        market = MarketData(base_url=yahoo.url, timeout_s=10, quote_ttl_s=3600, history_ttl_s=3600)
        store = AlertStore(target)
        service = AlertService(store, market, clock=lambda: NOW, max_workers=8)
        with store.tx() as cur:
            cur.executemany(
                "INSERT INTO alerts (id, workspace, symbol, kind, op, threshold, indicator, status, source, note, "
                "created) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', 'person', '', ?)",
                [(f"A-{i:05d}", f"ws{i // 10:04d}", rule.symbol, rule.kind, rule.op, rule.threshold, rule.indicator,
                  utc_text(NOW)) for i in range(rules)
                 for rule in [parse_rule(rule_words(i, names[(i * 37) % len(names)]))]])
        service.check(NOW, force=True)  # cold: fetches every symbol
        warm = []
        for _ in range(3):
            started = time.perf_counter()
            service.check(NOW, force=True)
            warm.append(time.perf_counter() - started)
        with store.tx() as cur:
            cur.execute("UPDATE alerts SET last_state = NULL")
        started = time.perf_counter()
        flipped = service.check(NOW, force=True)
        writing = time.perf_counter() - started
        service.close()
    return (f"{statistics.median(warm) * 1000:.0f} ms",
            f"{writing * 1000:.0f} ms ({len(flipped.fired):,} fired)")


@contextlib.contextmanager
def replicas(count: int, database_url: str):
    procs, urls = [], []
    try:
        for _ in range(count):
            port = free_port()
            procs.append(subprocess.Popen(
                [sys.executable, str(ROOT / "benchmarks" / "scripted_server.py"), "--app", "ours", "--port", str(port),
                 "--steps", "3", "--latency", "0.3", "--database-url", database_url],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
            assert procs[-1].stdout.readline().strip() == "ready"
            urls.append(f"http://127.0.0.1:{port}/")
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)


def _people(urls: list[str], go, ready, results) -> None:
    """A few people in one process, one thread and one gradio_client each (64 client processes would load the
    machine more than the servers they measure)."""
    import threading

    clients = [Client(url, verbose=False, analytics_enabled=False, download_files=False,
                      httpx_kwargs={"timeout": 120}) for url in urls]  # connecting is not measured
    ready.put(True)
    go.wait()

    def person(c):
        try:
            result = c.submit("go", api_name="/chat").result(timeout=600)
            results.put((time.time(), result[-1]["kind"]))
        except Exception as exc:  # a refused or failed turn is counted as unanswered, not waited for
            results.put((time.time(), f"error: {type(exc).__name__}"))

    threads = [threading.Thread(target=person, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def bench_http(count: int, database_url: str, sessions: int = 64, processes: int = 4) -> str:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with replicas(count, database_url) as urls:
        for url in urls:
            Client(url, verbose=False, analytics_enabled=False, download_files=False).predict("warm up",
                                                                                               api_name="/chat")
        go, ready, results = ctx.Event(), ctx.Queue(), ctx.Queue()
        assigned = [urls[i % count] for i in range(sessions)]  # people alternate between replicas
        groups = [ctx.Process(target=_people, args=(assigned[k::processes], go, ready, results))
                  for k in range(processes)]
        for group in groups:
            group.start()
        for _ in groups:
            ready.get(timeout=600)
        time.sleep(0.5)
        start = time.time()
        go.set()
        finished = [results.get(timeout=600) for _ in range(sessions)]
        for group in groups:
            group.join(10)
    answered = sum(1 for _, kind in finished if kind in ("final", "trace"))
    return f"{max(end for end, _ in finished) - start:.2f} s ({answered}/{sessions})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_SOCKET_URL", ""),
                        help="a PostgreSQL server URL (a database is created on it per measure)")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--only-http", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    engines = [("SQLite", None)] + ([("PostgreSQL", args.postgres)] if args.postgres else [])

    print(f"\n| {'measure':<46} | {'engine':<10} | {'value':>26} | {'target':<8} |")
    print(f"|{'-' * 48}|{'-' * 12}|{'-' * 28}|{'-' * 10}|")

    def row(name, engine, value, target=""):
        print(f"| {name:<46} | {engine:<10} | {value:>26} | {target:<8} |", flush=True)

    for engine, server in engines if not args.only_http else ():
        with database(server, tmp) as target:
            row("per-step save, median / p95", engine, bench_save(target), "<= 2 ms" if server else "")
        with database(server, tmp) as target:
            row("ticket confirm (claim, fill, mark), med / p95", engine, bench_confirm(target))
        with database(server, tmp) as target:
            warm, writing = bench_alert_check(target)
            row("alert check, 10,000 rules, warm", engine, warm, "<= 1 s")
            row("alert check writing every state", engine, writing)
    if not args.skip_http:
        row("64 sessions x 3 steps x 300 ms, 1 replica", "SQLite", bench_http(1, ""), "~0.9 s")
        for count in (1, 2) if args.postgres else ():
            with database(args.postgres, tmp) as url:
                row(f"64 sessions x 3 steps x 300 ms, {count} replica{'s' if count > 1 else ''}", "PostgreSQL",
                    bench_http(count, url), "~0.9 s")


if __name__ == "__main__":
    main()
