"""Two replicas on one PostgreSQL database: everything but the Gradio session works from either of them.

Each replica is the real app in its own process (tests/replicas.py), with its own DATA_DIR, on one fresh database
of the server in TEST_DATABASE_URL; the alert tests run the app's real alert scheduler in two processes (with the
exchange clock fixed at an open Monday, so they do not depend on the hour)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time

import psycopg
import pytest
import requests
from gradio_client import Client

from core.db import Database
from tests.live_app import free_port
from tests.replicas import ROOT, Replica, fresh_database, needs_postgres

pytestmark = [pytest.mark.slow, pytest.mark.postgres, needs_postgres]


def client(replica: Replica, key: str | None = None) -> Client:
    headers = {"X-Smol-Workspace": key} if key else None
    return Client(replica.url, verbose=False, analytics_enabled=False, download_files=False, headers=headers)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    with fresh_database() as url:
        tmp = tmp_path_factory.mktemp("replicas")
        a = Replica(tmp / "a", url, "A")
        b = Replica(tmp / "b", url, "B")
        try:
            yield a, b, url
        finally:
            a.kill()
            b.kill()


def test_a_workspace_made_on_a_opens_on_b_with_its_key(pair):
    a, b, _ = pair
    key = client(a).predict(api_name="/workspace")["key"]
    on_a = client(a, key)
    answer = on_a.predict("How did NVDA do this month?", api_name="/chat")
    assert [m["content"] for m in answer if m["kind"] == "final"] == ["NVDA: up 5% on the month."]
    conversation = on_a.predict(api_name="/workspace")["conversation"]
    on_b = client(b, key)
    assert [c["id"] for c in on_b.predict(api_name="/workspace")["conversations"]] == [conversation]
    saved = on_b.predict(conversation, api_name="/open_conversation")
    assert any(m["kind"] == "final" and m["content"] == "NVDA: up 5% on the month." for m in saved)
    with pytest.raises(Exception, match="not valid"):  # a wrong key is refused on B as on A
        client(b, key[:-2] + "xx").predict(api_name="/workspace")


def test_one_ticket_confirmed_on_a_and_b_at_once_fills_once(pair):
    a, b, url = pair
    key = client(a).predict(api_name="/workspace")["key"]
    [card] = client(a, key).predict("/buy 3 AAPL limit 1000", api_name="/chat")  # marketable: fills at any hour
    ticket = card["extra"]["ticket"]["id"]
    clients = {"A": client(a, key), "B": client(b, key)}
    start, answers = threading.Barrier(2), {}

    def confirm(name):
        start.wait()
        answers[name] = clients[name].predict(ticket, api_name="/confirm_ticket")

    threads = [threading.Thread(target=confirm, args=(name,)) for name in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    texts = [" ".join(str(m.get("metadata", {}).get("title") or "") + str(m["content"]) for m in answers[name])
             for name in ("A", "B")]
    refused = [text for text in texts if "no second order" in text]  # already confirmed or being executed
    assert len(refused) == 1, texts
    assert sum("Filled" in text for text in texts if text not in refused) == 1, texts
    with psycopg.connect(url) as conn:
        [workspace] = conn.execute("SELECT workspace FROM tickets WHERE id = %s", (ticket,)).fetchone()
        fills = conn.execute("SELECT COUNT(*) FROM fills f JOIN orders o ON o.id = f.order_id "
                             "WHERE o.client_order_id = (SELECT order_json::json->>'client_order_id' FROM tickets "
                             "WHERE id = %s AND workspace = %s)", (ticket, workspace)).fetchone()[0]
        status = conn.execute("SELECT status FROM tickets WHERE id = %s", (ticket,)).fetchone()[0]
    assert (fills, status) == (1, "executed")


def wait_run(replica: Replica, run_id: str, headers: dict, until: tuple[str, ...], timeout_s: float = 30) -> dict:
    deadline = time.time() + timeout_s
    while True:
        view = requests.get(f"{replica.url}api/runs/{run_id}", headers=headers, timeout=10).json()
        if view["status"] in until or time.time() > deadline:
            return view
        time.sleep(0.2)


def test_a_run_posted_on_a_is_read_and_stopped_on_b(pair):
    a, b, _ = pair
    started = requests.post(a.url + "api/runs", json={"message": "Think slowly about AAPL."}, timeout=10)
    assert started.status_code in (200, 202), started.text
    headers = {"X-Smol-Workspace": started.headers["X-Smol-Workspace"]}
    run_id = started.json()["id"]
    seen = wait_run(b, run_id, headers, ("running",))
    assert seen["status"] == "running" and seen["message"] == "Think slowly about AAPL."
    stopped = requests.post(f"{b.url}api/runs/{run_id}/stop", headers=headers, timeout=10)
    assert stopped.status_code == 200, stopped.text
    view = wait_run(b, run_id, headers, ("stopped", "done", "failed"))
    assert view["status"] == "stopped" and view["answer"] is None, view
    assert wait_run(a, run_id, headers, ("stopped",))["status"] == "stopped"


def test_seven_messages_in_a_minute_across_a_and_b_are_refused_at_the_seventh(pair):
    """Model turns count in one window across replicas (slash commands have their own, generous limit)."""
    a, b, _ = pair
    key = client(a).predict(api_name="/workspace")["key"]
    on = {"A": client(a, key), "B": client(b, key)}

    def said(name: str) -> str:
        return " ".join(str(item["content"]) for item in on[name].predict("How is NVDA?", api_name="/chat"))

    for name in ("A", "B", "A", "B", "A", "B"):
        reply = said(name)
        assert "limit is" not in reply and "NVDA: up 5%" in reply, (name, reply)
    assert "the limit is 6 per minute" in said("A")
    assert "the limit is 6 per minute" in said("B")


def add_true_alert(url: str) -> None:
    """An alert already true (AAPL at 252 on the replay server, the rule says above 250), straight into the rows
    the app reads, as `/alert AAPL above 250` would store it."""
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO alerts (id, workspace, symbol, kind, op, threshold, indicator, status, source, "
                     "note, created) VALUES ('A-0001', 'ws_x', 'AAPL', 'price', 'above', 250, '', 'active', "
                     "'person', '', '2026-11-23T14:00:00+00:00')")


def rows(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def wait_for(check, timeout_s: float = 60):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    return check()


def test_an_already_true_alert_checked_by_two_replicas_fires_once(tmp_path):
    with fresh_database() as url:
        one = Replica(tmp_path / "one", url, "one", kind="scheduler")
        two = Replica(tmp_path / "two", url, "two", kind="scheduler")
        try:
            add_true_alert(url)
            assert wait_for(lambda: rows(url, "SELECT id FROM notifications"))
            time.sleep(3)  # both keep checking, several times each
            owners = {r[0] for r in rows(url, "SELECT owner FROM job_slots WHERE name = 'alerts'")}
            assert owners <= {"one", "two"} and owners
            assert len(rows(url, "SELECT id FROM notifications")) == 1
            assert rows(url, "SELECT fired_count FROM alerts") == [(1,)]
        finally:
            one.kill()
            two.kill()


def test_killing_a_replica_mid_job_leaves_the_other_doing_the_jobs(tmp_path):
    with fresh_database() as url:
        Database(url).close()  # the schema, as the first replica to start would make it
        add_true_alert(url)
        stuck = Replica(tmp_path / "a", url, "A", kind="scheduler", latency_s=300)  # its check hangs on the quote
        try:
            assert wait_for(lambda: rows(url, "SELECT owner FROM job_slots WHERE name = 'alerts'") == [("A",)])
            other = Replica(tmp_path / "b", url, "B", kind="scheduler")
            time.sleep(2)  # B ticks, finds A's job running, and leaves it
            assert rows(url, "SELECT owner FROM job_slots WHERE name = 'alerts'") == [("A",)]
            assert rows(url, "SELECT id FROM notifications") == []
            stuck.kill(signal.SIGKILL)  # mid-job: its lock dies with its connection
            assert wait_for(lambda: rows(url, "SELECT owner FROM job_slots WHERE name = 'alerts'") == [("B",)])
            assert wait_for(lambda: rows(url, "SELECT id FROM notifications"))
            time.sleep(2)
            assert rows(url, "SELECT fired_count FROM alerts") == [(1,)]
            assert rows(url, "SELECT owner FROM job_slots WHERE name = 'alerts'") == [("B",)]
        finally:
            stuck.kill(signal.SIGKILL)
            if "other" in locals():
                other.kill()


@pytest.mark.skipif(not shutil.which("haproxy"), reason="no haproxy (Debian's haproxy package)")
def test_haproxy_in_front_keeps_a_browser_on_its_replica_and_api_clients_anywhere(pair, tmp_path):
    """deploy/haproxy.cfg in front of the two replicas: the affinity cookie pins a browser to one replica; a
    client without it is spread, and its workspace key works wherever it lands."""
    a, b, _ = pair
    port = free_port()
    config = (ROOT / "deploy" / "haproxy.cfg").read_text()
    config = config.replace("bind :8080", f"bind 127.0.0.1:{port}")
    config = config.replace("app1:7860", a.url.split("//")[1].rstrip("/"))
    config = config.replace("app2:7860", b.url.split("//")[1].rstrip("/"))
    config = config.replace("backend replicas\n", "backend replicas\n    http-response set-header X-Replica %s\n")
    (tmp_path / "haproxy.cfg").write_text(config)
    proxy = subprocess.Popen(["haproxy", "-db", "-f", str(tmp_path / "haproxy.cfg")], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    front = f"http://127.0.0.1:{port}/"
    try:
        assert wait_for(lambda: _answers(front), 20)
        browser = requests.Session()
        first = browser.get(front, timeout=10)
        assert "SMOLSRV" in browser.cookies
        assert {browser.get(front, timeout=10).headers["X-Replica"] for _ in range(6)} == {first.headers["X-Replica"]}
        spread = {requests.get(front, timeout=10).headers["X-Replica"] for _ in range(6)}  # no cookie: round robin
        assert spread == {"app1", "app2"}
        key = client(a).predict(api_name="/workspace")["key"]
        through = Client(front, verbose=False, analytics_enabled=False, download_files=False,
                         headers={"X-Smol-Workspace": key})
        (reply,) = through.predict("/help", api_name="/chat")
        assert "limit is" not in reply["content"]
    finally:
        proxy.terminate()
        proxy.wait(10)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False
