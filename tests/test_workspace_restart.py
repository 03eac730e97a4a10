"""The workspace survives an app restart and a `kill -9` mid-turn (the app runs in a subprocess).

The API client resumes with the `X-Smol-Workspace` header (gradio_client `Client(headers=...)`);
the scripted manager answers a follow-up from what it was sent, so the test sees whether the
rebuilt team got the earlier answer in its input messages.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gradio_client import Client

from trading.paper import PaperBroker

ROOT = Path(__file__).resolve().parents[1]
FIRST_ANSWER = "NVDA: up 5% on the month."
# A marketable limit order fills at the current price whatever the hour; a market order would be
# refused by the risk gate outside New York trading hours, and these tests must not depend on the clock.
BUY_3 = "/buy 3 AAPL limit 1000"

pytestmark = pytest.mark.slow  # restarts the app in subprocesses

APP = r'''
import sys, time
from pathlib import Path
from standins.live_app import running_app
from standins.scripted_model import ScriptedModel, Slow, code, final

tmp, mode = Path(sys.argv[1]), sys.argv[2]
FIRST = "NVDA: up 5% on the month."

def answer(messages):
    seen = "\n".join(str(m.content if hasattr(m, "content") else m.get("content")) for m in messages)
    if "follow-up" in seen.split("New task:")[-1]:
        return final("Earlier answer seen: " + ("yes" if FIRST in seen else "no"))
    return final(FIRST)

def team():
    if mode == "slow":  # two quick steps, then a step that never ends (killed mid-turn)
        manager = ScriptedModel([code("print('step one done')"), code("print('step two done')"),
                                 Slow(600, final("never"))])
    else:
        manager = ScriptedModel(default=answer)
    return {"manager": manager, "web_agent": ScriptedModel(), "trader": ScriptedModel()}

with running_app(tmp, team, DATA_DIR=tmp / "data") as (url, stack, ui):
    print("URL " + url, flush=True)
    while True:
        time.sleep(1)
'''


class AppProcess:
    def __init__(self, tmp: Path, mode: str = "normal"):
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, "-c", APP, str(tmp), mode], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = ""
        deadline = time.time() + 120
        while not line.startswith("URL ") and time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError("the app process exited")
        self.url = line.split(" ", 1)[1].strip()

    def client(self, key: str | None = None) -> Client:
        headers = {"X-Smol-Workspace": key} if key else None
        return Client(self.url, verbose=False, analytics_enabled=False, download_files=False, headers=headers)

    def kill(self, sig=signal.SIGTERM) -> None:
        self.proc.send_signal(sig)
        self.proc.wait(30)


@pytest.fixture
def app_dir(tmp_path):
    return tmp_path


def test_restart_between_turns_keeps_the_conversation_position_and_context(app_dir):
    first = AppProcess(app_dir)
    try:
        api = first.client()
        key = api.predict(api_name="/workspace")["key"]
        assert key and len(key) == 43
        api = first.client(key)
        messages = api.predict("How did NVDA do this month?", api_name="/chat")
        assert [m["content"] for m in messages if m["kind"] == "final"] == [FIRST_ANSWER]
        [card] = api.predict(BUY_3, api_name="/chat")
        ticket = card["extra"]["ticket"]["id"]
        done = api.predict(ticket, api_name="/confirm_ticket")
        assert any((m["metadata"].get("title") or "").endswith((": filled", ": order placed")) for m in done), done
        conversation = api.predict(api_name="/workspace")["conversation"]
    finally:
        first.kill(signal.SIGKILL)
    second = AppProcess(app_dir)
    try:
        api = second.client(key)
        state = api.predict(api_name="/workspace")
        assert [c["id"] for c in state["conversations"]] == [conversation]
        saved = api.predict(conversation, api_name="/open_conversation")
        assert [m["content"] for m in saved if m["role"] == "user"] == ["How did NVDA do this month?", BUY_3]
        assert any(m["kind"] == "final" and m["content"] == FIRST_ANSWER for m in saved)
        decided = (": filled", ": order placed")
        assert any((m["metadata"].get("title") or "").endswith(decided) for m in saved)  # the confirmation was saved
        [positions] = api.predict("/positions", api_name="/chat")
        assert "AAPL" in positions["content"] and "3" in positions["content"]
        reply = api.predict("A follow-up: and what did you tell me?", api_name="/chat")
        assert [m["content"] for m in reply if m["kind"] == "final"] == ["Earlier answer seen: yes"]
        # another client without the key is another workspace and sees none of it
        stranger = second.client()
        assert stranger.predict(api_name="/workspace")["conversations"] == []
        [nothing] = stranger.predict("/positions", api_name="/chat")
        assert "AAPL" not in nothing["content"]
        # a guessed or malformed key is refused with one message
        for bad in ("A" * 43, "nope", key[:-2] + "xx"):
            with pytest.raises(Exception, match="not valid"):
                second.client(bad).predict(api_name="/workspace")
        exported = api.predict(api_name="/export_workspace")
        assert exported["conversations"][0]["id"] == conversation
        assert exported["paper_account"]["positions"][0]["symbol"] == "AAPL"
        assert key not in json.dumps(exported)
    finally:
        second.kill()


@pytest.mark.sqlite_only  # reads the app's SQLite files
def test_kill_9_mid_turn_keeps_earlier_steps_and_a_clean_database(app_dir):
    app = AppProcess(app_dir, "slow")
    try:
        api = app.client()
        key = api.predict(api_name="/workspace")["key"]
        api = app.client(key)
        [card] = api.predict("/buy 2 AAPL limit 1000", api_name="/chat")  # fills at any hour
        done = api.predict(card["extra"]["ticket"]["id"], api_name="/confirm_ticket")
        assert any((m["metadata"].get("title") or "").endswith((": filled", ": order placed")) for m in done), done
        job = api.submit("Think slowly about AAPL", api_name="/chat")
        deadline = time.time() + 60
        while time.time() < deadline and not any("step two done" in json.dumps(o) for o in job.outputs()):
            time.sleep(0.1)
        assert any("step two done" in json.dumps(o) for o in job.outputs())
        time.sleep(0.2)  # the snapshot after it is saved as it is shown
    finally:
        app.kill(signal.SIGKILL)
    db = sqlite3.connect(app_dir / "data" / "workspaces.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    saved = "\n".join(r[0] for r in db.execute("SELECT data FROM messages ORDER BY conversation_id, seq"))
    assert "Think slowly about AAPL" in saved and "step one done" in saved and "step two done" in saved
    ledger = sqlite3.connect(app_dir / "ledger.sqlite3")
    assert ledger.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    [account] = [r[0] for r in ledger.execute("SELECT id FROM accounts")]
    broker = PaperBroker(app_dir / "ledger.sqlite3", account, starting_cash=100_000, price_of=lambda s: 200.0)
    assert broker.audit() == [] and [p.qty for p in broker.positions()] == [2]
