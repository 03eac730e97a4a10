"""Replicas for the PostgreSQL tests: the real app (or the real alert scheduler) in separate processes, all on one
throwaway database of the PostgreSQL server given by TEST_DATABASE_URL (.ci/run starts one)."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVER_URL = os.environ.get("TEST_DATABASE_URL", "")
needs_postgres = pytest.mark.skipif(not SERVER_URL, reason="no PostgreSQL server (TEST_DATABASE_URL)")


@contextlib.contextmanager
def fresh_database():
    """A new, empty database on the test server (dropped afterwards); yields its URL."""
    name = "smol_" + secrets.token_hex(6)
    with psycopg.connect(SERVER_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base, _, _ = SERVER_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        from core.db import _engines

        for url in [u for u in _engines if u.endswith("/" + name)]:  # this process's pools on it
            _engines.pop(url).dispose()
        with psycopg.connect(SERVER_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


APP = r'''
import sys, time
from pathlib import Path
from tests.live_app import running_app
from tests.scripted_model import ScriptedModel, Slow, final

tmp = Path(sys.argv[1])

def answer(messages):
    if "slowly" in str(messages[-1]):
        return Slow(8, final("too late"))
    return final("NVDA: up 5% on the month.")

def team():
    return {"manager": ScriptedModel(default=answer), "web_agent": ScriptedModel(), "trader": ScriptedModel()}

with running_app(tmp, team, DATA_DIR=tmp / "data", DATABASE_URL=sys.argv[2], REPLICA_NAME=sys.argv[3],
                 RATE_LIMIT_TURNS_PER_MINUTE=6) as (url, stack, ui):
    print("URL " + url, flush=True)
    while True:
        time.sleep(1)
'''

SCHEDULER = r'''
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from alerts.scheduler import AlertScheduler, BriefDesk
from alerts.service import AlertService
from tests.harness import local_stack

tmp, url, name, latency = Path(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
open_monday = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # the exchange is open, whatever the hour of the test
with local_stack(tmp, QUOTE_TTL_S=0, DATA_DIR=tmp / "data", DATABASE_URL=url) as stack:
    stack.yahoo.set_quote("AAPL", 252.0)
    stack.yahoo.latency_s = latency
    service = AlertService.from_settings(stack.settings, stack.runtime.market, clock=lambda: open_monday)
    scheduler = AlertScheduler(service, BriefDesk(service), interval_s=0.5, owner=name)
    scheduler.start()
    print("READY", flush=True)
    while True:
        time.sleep(1)
'''


class Replica:
    """One process of the app (`kind="app"`: `url`) or of the alert scheduler alone (`kind="scheduler"`)."""

    def __init__(self, tmp: Path, database_url: str, name: str, kind: str = "app", latency_s: float = 0.0):
        tmp.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONPATH": str(ROOT)}
        args = [str(tmp), database_url, name] + ([str(latency_s)] if kind == "scheduler" else [])
        self.proc = subprocess.Popen([sys.executable, "-c", APP if kind == "app" else SCHEDULER, *args], cwd=ROOT,
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.url = ""
        deadline = time.time() + 120
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith(("URL ", "READY")):
                self.url = line.split(" ", 1)[1].strip() if line.startswith("URL ") else ""
                return
            if not line and self.proc.poll() is not None:
                raise RuntimeError(f"replica {name} exited")
        raise RuntimeError(f"replica {name} did not start")

    def kill(self, sig=signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(30)
