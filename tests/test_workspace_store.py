"""The workspace store: migrations, keys, conversations, caps, export, idle removal (real SQLite files)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from chat.messages import ChatItem, StoredFigure
from core.db import DatabaseError, head_revision
from workspace.access import Workspaces
from workspace.db import Database, snapshot
from workspace.store import WorkspaceKeyError, WorkspaceLimitError, WorkspaceStore

PRE_ALEMBIC = Path(__file__).parent / "fixtures" / "pre_alembic"


class Clock:
    def __init__(self, t: float = 1_700_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def store_at(tmp_path, **kwargs) -> WorkspaceStore:
    return WorkspaceStore(Database(tmp_path / "ws.sqlite3"), **kwargs)


def test_pragmas_and_schema_revision(tmp_path):
    db = Database(tmp_path / "ws.sqlite3")
    assert db.revision == head_revision()
    assert db.one("PRAGMA journal_mode") == ("wal",)
    assert db.one("PRAGMA foreign_keys") == (1,)
    assert db.integrity_ok()


def test_migrating_from_version_1_keeps_data_and_fills_new_columns(tmp_path):
    path = tmp_path / "old.sqlite3"
    shutil.copy(PRE_ALEMBIC / "workspaces_v1.sqlite3", path)  # made by the first release's code
    store = WorkspaceStore(Database(path))
    assert store.db.revision == head_revision()
    assert store.db.one("PRAGMA user_version") == (3,)  # the old steps ran first, then Alembic's
    assert store.for_user("ada") == "ws_a"
    [conversation] = store.conversations("ws_a")
    assert conversation.title == "Old chat"
    assert conversation.bytes == len(json.dumps({"role": "user", "content": "hi"}))
    store.record_equity("ws_a", "2026-11-20", 100_000.0, 100_000.0, "2026-11-20T21:00:00Z")  # v2 table exists


def test_a_failed_migration_leaves_the_file_as_it_was(tmp_path):
    path = tmp_path / "x.sqlite3"
    shutil.copy(PRE_ALEMBIC / "workspaces_v1.sqlite3", path)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE meta (other TEXT)")  # step 2 creates `meta`: it fails half-way through the upgrade
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError):
        Database(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (1,)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(conversations)")]
    assert "bytes" not in columns and conn.execute("SELECT name FROM sqlite_master WHERE name = 'alembic_version'"
                                                   ).fetchone() is None
    conn.execute("DROP TABLE meta")
    conn.commit()
    conn.close()
    assert Database(path).revision == head_revision()


def test_keys_are_hashed_and_bad_keys_get_one_answer(tmp_path):
    store = store_at(tmp_path)
    workspace_id, key = store.new_anonymous()
    assert store.resolve_key(key) == workspace_id
    raw = (tmp_path / "ws.sqlite3").read_bytes() + (tmp_path / "ws.sqlite3-wal").read_bytes()
    assert key.encode() not in raw  # only a hash is stored
    messages = set()
    for bad in ("", "short", key[:-1] + ("A" if key[-1] != "A" else "B"), "x" * 43, "' OR 1=1 --" + "a" * 32,
                key + "a", None, 42):
        with pytest.raises(WorkspaceKeyError) as info:
            store.resolve_key(bad)
        messages.add(info.value.user_message)
    assert len(messages) == 1 and "not valid" in messages.pop()


def test_signed_in_person_has_one_workspace(tmp_path):
    store = store_at(tmp_path)
    assert store.for_user("ada") == store.for_user("ada") != store.for_user("bob")


def test_conversations_newest_first_rename_delete_and_isolation(tmp_path):
    clock = Clock()
    store = store_at(tmp_path, clock=clock)
    mine, _ = store.new_anonymous()
    theirs, _ = store.new_anonymous()
    first = store.create_conversation(
        mine, "  How did   NVDA do this month, and what does the news say about its earnings?")
    assert first.title.startswith("How did NVDA do this month") and first.title.endswith("…")
    clock.t += 10
    second = store.create_conversation(mine, "AAPL?")
    assert [c.id for c in store.conversations(mine)] == [second.id, first.id]
    clock.t += 10
    store.save(mine, first.id, [(0, '{"role": "user", "content": "x"}')])
    assert [c.id for c in store.conversations(mine)] == [first.id, second.id]
    store.rename(mine, first.id, "NVDA")
    store.rename(theirs, second.id, "hijack")  # not theirs: nothing happens
    store.delete_conversation(theirs, first.id)
    assert {c.title for c in store.conversations(mine)} == {"NVDA", "AAPL?"}
    assert store.records(theirs, first.id) == []
    store.save(theirs, first.id, [(1, "{}")])  # not theirs: not saved
    assert store.count(mine, first.id) == 1
    store.delete_conversation(mine, first.id)
    assert store.db.one("SELECT COUNT(*) FROM messages") == (0,)  # cascade


def test_caps_give_clear_messages(tmp_path):
    store = store_at(tmp_path, max_conversations=2, max_bytes=100)
    ws, _ = store.new_anonymous()
    a = store.create_conversation(ws, "a")
    store.create_conversation(ws, "b")
    with pytest.raises(WorkspaceLimitError, match="limit is 2"):
        store.create_conversation(ws, "c")
    with pytest.raises(WorkspaceLimitError, match="not saved"):  # a save past the cap is refused as it is made
        store.save(ws, a.id, [(0, "x" * 150)])
    store.save(ws, a.id, [(0, "x" * 100)])
    with pytest.raises(WorkspaceLimitError, match="MB"):
        store.check_bytes(ws)
    store.save(ws, a.id, [(0, "x")])  # replacing a record counts the difference
    assert store.stored_bytes(ws) == 1


def test_chat_items_round_trip_with_charts(tmp_path):
    import plotly.graph_objects as go

    figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    items = [ChatItem(content="hi", role="user"), ChatItem(content=figure, kind="chart", extra={"caption": "c"}),
             ChatItem(content="step", kind="step", title="Step 1", id="s1", status="done", duration=1.5),
             ChatItem(content="ticket", kind="ticket", extra={"ticket": {"id": "T-1", "status": "pending"}})]
    back = [ChatItem.from_record(item.to_record()) for item in items]
    assert isinstance(back[1].content, StoredFigure)
    assert back[1].to_json()["plotly"] == json.loads(figure.to_json())
    assert [b.to_json() for b in back] == [i.to_json() for i in items]


def test_export_delete_and_idle_removal(tmp_path):
    clock = Clock()
    store = store_at(tmp_path, clock=clock)
    workspaces = Workspaces(store, anon_days=30)
    removed = []
    workspaces.on_delete.append(removed.append)
    old, old_key = store.new_anonymous()
    c = store.create_conversation(old, "hello")
    store.save(old, c.id, [(0, ChatItem(content="hello", role="user").to_record())])
    exported = store.export(old)
    assert exported["conversations"][0]["messages"][0]["content"] == "hello"
    assert old_key not in json.dumps(exported)
    person = store.for_user("ada")
    clock.t += 31 * 86400
    fresh, _ = store.new_anonymous()
    assert workspaces.remove_idle() == [old] and removed == [old]
    assert store.exists(person) and store.exists(fresh) and not store.exists(old)
    with pytest.raises(WorkspaceKeyError):
        store.resolve_key(old_key)
    workspaces.delete(fresh)
    assert not store.exists(fresh)


def test_open_rules(tmp_path):
    workspaces = Workspaces(store_at(tmp_path))
    opened = workspaces.open()
    assert workspaces.open(browser_key=opened.key).workspace_id == opened.workspace_id
    assert workspaces.open(header_key=opened.key).workspace_id == opened.workspace_id
    stale = workspaces.open(browser_key="A" * 43)
    assert stale.workspace_id != opened.workspace_id and stale.key != "A" * 43 and stale.notice
    with pytest.raises(WorkspaceKeyError):
        workspaces.open(header_key="A" * 43)
    assert workspaces.open(user="ada").key is None
    assert workspaces.browser_secret() == workspaces.browser_secret()


def test_snapshot_is_a_consistent_copy(tmp_path):
    store = store_at(tmp_path)
    ws, key = store.new_anonymous()
    snapshot(tmp_path / "ws.sqlite3", tmp_path / "copy" / "ws.sqlite3")
    copy = WorkspaceStore(Database(tmp_path / "copy" / "ws.sqlite3"))
    assert copy.resolve_key(key) == ws and copy.db.integrity_ok()


def test_data_dir_on_a_space(tmp_path):
    from core.settings import _data_dir, load_settings

    assert _data_dir({"SPACE_ID": "a/b"}, space_storage=str(tmp_path)) == (str(tmp_path), False)  # mounted
    assert _data_dir({"SPACE_ID": "a/b"}, space_storage=str(tmp_path / "none")) == ("data", True)  # lost on restart
    assert _data_dir({}, space_storage=str(tmp_path)) == ("data", False)
    settings = load_settings({"DATA_DIR": str(tmp_path / "d")}, dotenv_path=None)
    assert settings.paper_ledger_path == str(tmp_path / "d" / "paper_ledger.sqlite3")
    workspaces = Workspaces(store_at(tmp_path), ephemeral=True)
    assert "goes away when the Space restarts" in workspaces.notice
