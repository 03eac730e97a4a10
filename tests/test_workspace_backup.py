"""Backup of DATA_DIR to a private dataset and restore at start, against the Hub stand-in (real huggingface_hub
in a child process with HF_ENDPOINT pointing at 127.0.0.1)."""

from __future__ import annotations

import sqlite3

import pytest

from standins.hub import FAKE_TOKEN, HubServer, hub_env, run_python
from workspace.backup import snapshot_all

pytestmark = pytest.mark.sqlite_only  # snapshots of SQLite files

BACKUP = r'''
import sys
from pathlib import Path
from core.settings import load_settings
from workspace.access import Workspaces
from workspace.backup import start_backup
from trading.paper import PaperBroker
from trading.broker import OrderRequest

data = Path(sys.argv[1])
settings = load_settings({"DATA_DIR": str(data), "WORKSPACE_BACKUP_REPO": "alice/smol-backup",
                          "WORKSPACE_BACKUP_MINUTES": "60", "HF_TOKEN": sys.argv[2]}, dotenv_path=None)
workspaces = Workspaces.from_settings(settings)
workspace_id, key = workspaces.store.new_anonymous()
conversation = workspaces.store.create_conversation(workspace_id, "Backed up question")
ledger = PaperBroker(settings.paper_ledger_path, "workspace:" + workspace_id, starting_cash=1000,
                     price_of=lambda s: 10.0)
ledger.submit(OrderRequest("AAPL", "buy", qty=3))
scheduler = start_backup(settings)
scheduler.trigger().result()
scheduler.stop()
print(key)
'''

RESTORE = r'''
import sys
from pathlib import Path
from core.settings import load_settings
from workspace.access import Workspaces
from workspace.backup import restore_if_missing
from trading.paper import PaperBroker

data = Path(sys.argv[1])
settings = load_settings({"DATA_DIR": str(data), "WORKSPACE_BACKUP_REPO": "alice/smol-backup",
                          "HF_TOKEN": sys.argv[2]}, dotenv_path=None)
print(",".join(restore_if_missing(settings)))
workspaces = Workspaces.from_settings(settings)
workspace_id = workspaces.store.resolve_key(sys.argv[3])
print(workspaces.store.conversations(workspace_id)[0].title)
ledger = PaperBroker(settings.paper_ledger_path, "workspace:" + workspace_id, starting_cash=1000,
                     price_of=lambda s: 10.0)
print([p.qty for p in ledger.positions()], ledger.audit())
print(restore_if_missing(settings))  # the local database exists now: nothing is downloaded again
'''


@pytest.fixture
def hub():
    with HubServer(user="alice") as server:
        yield server


def test_backup_then_restore_into_an_empty_data_dir(hub, tmp_path):
    pushed = run_python(["-c", BACKUP, str(tmp_path / "before"), FAKE_TOKEN], hub_env(hub.url, str(tmp_path / "h1")))
    assert pushed.returncode == 0, pushed.stderr[-2000:]
    key = pushed.stdout.strip().splitlines()[-1]
    repo = hub.state.repo("dataset", "alice/smol-backup")
    [created] = hub.state.requests("POST", "/api/repos/create")
    assert created.json()["type"] == "dataset" and created.json().get("visibility") == "private"  # a private dataset
    assert repo is not None
    assert set(repo.files) >= {"data/workspaces.sqlite3", "data/paper_ledger.sqlite3"}
    for name, data in repo.files.items():
        if name.endswith(".sqlite3"):
            assert data.startswith(b"SQLite format 3\x00")
            assert FAKE_TOKEN.encode() not in data and key.encode() not in data  # no secrets, keys only hashed

    restored = run_python(["-c", RESTORE, str(tmp_path / "after"), FAKE_TOKEN, key],
                          hub_env(hub.url, str(tmp_path / "h2")))
    assert restored.returncode == 0, restored.stderr[-2000:]
    lines = restored.stdout.strip().splitlines()
    assert set(lines[0].split(",")) == {"workspaces.sqlite3", "paper_ledger.sqlite3"}
    assert lines[1] == "Backed up question"
    assert lines[2] == "[3.0] []"
    assert lines[3] == "[]"


def test_snapshots_are_complete_databases_even_while_written(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    live = sqlite3.connect(data / "other_feature.sqlite3", isolation_level=None)
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("CREATE TABLE t (x)")
    live.execute("BEGIN")
    live.execute("INSERT INTO t VALUES (1)")  # an open, uncommitted write
    [copy] = snapshot_all(data, tmp_path / "snap")
    live.execute("COMMIT")
    snap = sqlite3.connect(copy)
    assert snap.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert snap.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)  # the committed state, not half a write
    assert not [p for p in (tmp_path / "snap").iterdir() if p.name.startswith(".")]
