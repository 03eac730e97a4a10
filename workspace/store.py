"""Workspaces and their conversations: who owns what, and the saved chat items.

A workspace is identified internally by a random id (`ws_...`, safe to key other
features' data by: it is not a credential). People reach it by:
- a signed-in name (one workspace per name, wherever they log in), or
- an anonymous key (`secrets.token_urlsafe(32)`) held by the browser or sent by an API
  client as `X-Smol-Workspace`. Only a SHA-256 of each key is stored; a malformed,
  guessed or deleted key gets the same refusal, so nobody learns which keys exist.

Messages are stored as opaque JSON records (the chat layer decides their shape), one
row per item, upserted by position as a turn streams.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from core.errors import UserError
from workspace.db import Database

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
TITLE_CHARS = 60


class WorkspaceKeyError(UserError):
    """A workspace key that does not open a workspace (the message never says why)."""


class WorkspaceLimitError(UserError):
    """A per-workspace cap (conversations, stored bytes) is reached."""


REFUSED_KEY = WorkspaceKeyError("This workspace key is not valid. Check it, or start without one to get a new "
                                "workspace.")


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    created_at: float
    updated_at: float
    bytes: int = 0


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def title_from(text: str) -> str:
    words = " ".join(str(text).split())
    if words.startswith("/"):  # a conversation opened with a command: "/chart AAPL" -> "Chart AAPL"
        words = words.lstrip("/")
        words = words[:1].upper() + words[1:]
    return (words[:TITLE_CHARS - 1] + "…") if len(words) > TITLE_CHARS else (words or "New chat")


class WorkspaceStore:
    def __init__(self, db: Database, *, max_conversations: int = 200, max_bytes: int = 50_000_000,
                 clock: Callable[[], float] = time.time):
        self.db = db
        self.max_conversations = max_conversations
        self.max_bytes = max_bytes
        self.clock = clock
        # newest first among equal times: SQLite's rowid; PostgreSQL has none, creation time is next best
        self._insertion = "created_at" if db.is_postgres else "rowid"

    # --- workspaces ----------------------------------------------------------------------------
    def new_anonymous(self) -> tuple[str, str]:
        """A fresh anonymous workspace: (workspace id, key). The key is shown once and never stored."""
        key = secrets.token_urlsafe(32)
        workspace_id = "ws_" + secrets.token_hex(12)
        now = self.clock()
        with self.db.write() as cur:
            cur.execute("INSERT INTO workspaces (id, key_hash, username, created_at, last_seen) "
                        "VALUES (?, ?, NULL, ?, ?)",
                        (workspace_id, hash_key(key), now, now))
        return workspace_id, key

    def resolve_key(self, key: object) -> str:
        """The workspace id a key opens; `WorkspaceKeyError` (one message for every failure) otherwise."""
        if not isinstance(key, str) or not KEY_RE.match(key):
            hmac.compare_digest(hash_key("x" * 43), hash_key("y" * 43))  # same work as a well-formed miss
            raise REFUSED_KEY
        digest = hash_key(key)
        row = self.db.one("SELECT id, key_hash FROM workspaces WHERE key_hash = ?", (digest,))
        if row is None or not hmac.compare_digest(row[1], digest):
            raise REFUSED_KEY
        self.touch(row[0])
        return row[0]

    def for_user(self, username: str) -> str:
        """The signed-in person's one workspace, created on first sign-in."""
        row = self.db.one("SELECT id FROM workspaces WHERE username = ?", (username,))
        if row is not None:
            self.touch(row[0])
            return row[0]
        now = self.clock()
        with self.db.write() as cur:
            cur.execute("INSERT INTO workspaces (id, key_hash, username, created_at, last_seen) "
                        "VALUES (?, NULL, ?, ?, ?) ON CONFLICT DO NOTHING",
                        ("ws_" + secrets.token_hex(12), username, now, now))
        return self.db.one("SELECT id FROM workspaces WHERE username = ?", (username,))[0]

    def username(self, workspace_id: str) -> str | None:
        row = self.db.one("SELECT username FROM workspaces WHERE id = ?", (workspace_id,))
        return row[0] if row else None

    def exists(self, workspace_id: str) -> bool:
        return self.db.one("SELECT 1 FROM workspaces WHERE id = ?", (workspace_id,)) is not None

    def touch(self, workspace_id: str) -> None:
        with self.db.write() as cur:
            cur.execute("UPDATE workspaces SET last_seen = ? WHERE id = ?", (self.clock(), workspace_id))

    def delete_workspace(self, workspace_id: str) -> None:
        """Everything of that workspace in this database (conversations and messages by cascade)."""
        with self.db.write() as cur:
            cur.execute("DELETE FROM workspaces WHERE id = ?", (workspace_id,))

    def idle_anonymous(self, days: float) -> list[str]:
        cutoff = self.clock() - days * 86400
        return [r[0] for r in self.db.read(
            "SELECT id FROM workspaces WHERE username IS NULL AND last_seen < ?", (cutoff,))]

    # --- conversations -------------------------------------------------------------------------
    def create_conversation(self, workspace_id: str, first_message: str) -> Conversation:
        count = self.db.one("SELECT COUNT(*) FROM conversations WHERE workspace_id = ?", (workspace_id,))[0]
        if count >= self.max_conversations:
            raise WorkspaceLimitError(
                f"Your workspace holds {count} conversations, the limit is {self.max_conversations}. "
                "Delete a few old ones in the side panel (nothing else is lost), then start a new chat.")
        self.check_bytes(workspace_id)
        now = self.clock()
        conversation = Conversation("c_" + secrets.token_hex(8), title_from(first_message), now, now)
        with self.db.write() as cur:
            cur.execute("INSERT INTO conversations (id, workspace_id, title, created_at, updated_at, bytes) "
                        "VALUES (?, ?, ?, ?, ?, 0)", (conversation.id, workspace_id, conversation.title, now, now))
        return conversation

    def conversations(self, workspace_id: str) -> list[Conversation]:
        """Newest first."""
        rows = self.db.read("SELECT id, title, created_at, updated_at, bytes FROM conversations "
                            f"WHERE workspace_id = ? ORDER BY updated_at DESC, {self._insertion} DESC",
                            (workspace_id,))
        return [Conversation(*row) for row in rows]

    def conversation(self, workspace_id: str, conversation_id: str) -> Conversation | None:
        row = self.db.one("SELECT id, title, created_at, updated_at, bytes FROM conversations "
                          "WHERE workspace_id = ? AND id = ?", (workspace_id, conversation_id))
        return Conversation(*row) if row else None

    def rename(self, workspace_id: str, conversation_id: str, title: str) -> None:
        title = title_from(title)
        with self.db.write() as cur:
            cur.execute("UPDATE conversations SET title = ? WHERE workspace_id = ? AND id = ?",
                        (title, workspace_id, conversation_id))

    def delete_conversation(self, workspace_id: str, conversation_id: str) -> None:
        with self.db.write() as cur:
            cur.execute("DELETE FROM conversations WHERE workspace_id = ? AND id = ?", (workspace_id, conversation_id))

    # --- messages ------------------------------------------------------------------------------
    def save(self, workspace_id: str, conversation_id: str, records: Iterable[tuple[int, str]]) -> None:
        """Upsert message records by position (one transaction); the conversation moves to the top of the list."""
        records = list(records)
        if not records:
            return
        if self.db.is_postgres:  # one statement, one round trip (the per-step save budget is 2 ms)
            self._save_one_statement(workspace_id, conversation_id, records)
            return
        with self.db.write() as cur:
            owned = cur.execute("SELECT 1 FROM conversations WHERE workspace_id = ? AND id = ?",
                                (workspace_id, conversation_id)).fetchone()
            if owned is None:
                return  # deleted meanwhile (another tab): nothing to save into
            old = dict(cur.execute(
                f"SELECT seq, LENGTH(data) FROM messages WHERE conversation_id = ? AND seq IN "
                f"({','.join('?' * len(records))})", (conversation_id, *(s for s, _ in records))).fetchall())
            grown = sum(len(data) for _, data in records) - sum(old.values())
            if grown > 0:  # the cap holds as a turn is saved, not only when it starts: nothing is written past it
                used = cur.execute("SELECT COALESCE(SUM(bytes), 0) FROM conversations WHERE workspace_id = ?",
                                   (workspace_id,)).fetchone()[0]
                if used + grown > self.max_bytes:
                    raise self._full(used)
            cur.executemany("INSERT INTO messages (conversation_id, seq, data) VALUES (?, ?, ?) "
                            "ON CONFLICT (conversation_id, seq) DO UPDATE SET data = excluded.data",
                            [(conversation_id, seq, data) for seq, data in records])
            cur.execute("UPDATE conversations SET updated_at = ?, bytes = bytes + ? WHERE id = ?",
                        (self.clock(), grown, conversation_id))

    def _full(self, used: int) -> WorkspaceLimitError:
        return WorkspaceLimitError(
            f"Your workspace is full ({used / 1e6:.1f} MB of conversations, the limit is "
            f"{self.max_bytes / 1e6:g} MB): the rest of this reply is shown but not saved; everything "
            "saved before is kept. Delete some old conversations (or export them first), then go on.")

    def _save_one_statement(self, workspace_id: str, conversation_id: str, records: list[tuple[int, str]]) -> None:
        """`save` as one PostgreSQL statement: its CTEs see the rows as they were before it, so `old` holds the
        replaced records' sizes while `put` upserts them; `owned` is empty when the conversation is gone or the
        save would grow the workspace past its cap (then nothing is written, and a second read says which)."""
        values = ", ".join("(?::integer, ?::text)" for _ in records)
        rows = self.db.statement(
            f"WITH new (seq, data) AS (VALUES {values}), "
            "old AS (SELECT COALESCE(SUM(LENGTH(m.data)), 0) AS n FROM messages m JOIN new ON new.seq = m.seq "
            "        WHERE m.conversation_id = ? AND m.conversation_id IN "
            "        (SELECT id FROM conversations WHERE workspace_id = ?)), "
            "grown AS (SELECT (SELECT COALESCE(SUM(LENGTH(data)), 0) FROM new) - (SELECT n FROM old) AS n), "
            "used AS (SELECT COALESCE(SUM(bytes), 0) AS n FROM conversations WHERE workspace_id = ?), "
            "owned AS (SELECT id FROM conversations WHERE workspace_id = ? AND id = ? AND "
            "        ((SELECT n FROM grown) <= 0 OR (SELECT n FROM used) + (SELECT n FROM grown) <= ?)), "
            "put AS (INSERT INTO messages (conversation_id, seq, data) SELECT owned.id, new.seq, new.data "
            "        FROM owned, new ON CONFLICT (conversation_id, seq) DO UPDATE SET data = excluded.data "
            "        RETURNING LENGTH(data) AS n) "
            "UPDATE conversations SET updated_at = ?, bytes = bytes + (SELECT COALESCE(SUM(n), 0) FROM put) "
            "       - (SELECT n FROM old) WHERE id IN (SELECT id FROM owned) RETURNING id",
            (*(v for record in records for v in record), conversation_id, workspace_id, workspace_id, workspace_id,
             conversation_id, self.max_bytes, self.clock())).fetchall()
        if not rows and self.db.one("SELECT 1 FROM conversations WHERE workspace_id = ? AND id = ?",
                                    (workspace_id, conversation_id)) is not None:
            raise self._full(self.stored_bytes(workspace_id))  # still there: refused for the cap

    def truncate(self, workspace_id: str, conversation_id: str, keep: int) -> None:
        """Drop records at positions >= keep (a turn that streamed fewer items than its last snapshot)."""
        with self.db.write() as cur:
            cur.execute("DELETE FROM messages WHERE conversation_id = ? AND seq >= ? AND conversation_id IN "
                        "(SELECT id FROM conversations WHERE workspace_id = ?)", (conversation_id, keep, workspace_id))

    def records(self, workspace_id: str, conversation_id: str) -> list[str]:
        rows = self.db.read("SELECT m.data FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                            "WHERE c.workspace_id = ? AND c.id = ? ORDER BY m.seq", (workspace_id, conversation_id))
        return [r[0] for r in rows]

    def count(self, workspace_id: str, conversation_id: str) -> int:
        return self.db.one("SELECT COUNT(*) FROM messages WHERE conversation_id = ?", (conversation_id,))[0]

    def stored_bytes(self, workspace_id: str) -> int:
        return self.db.one("SELECT COALESCE(SUM(bytes), 0) FROM conversations WHERE workspace_id = ?",
                           (workspace_id,))[0]

    def check_bytes(self, workspace_id: str) -> None:
        used = self.stored_bytes(workspace_id)
        if used >= self.max_bytes:
            raise WorkspaceLimitError(
                f"Your workspace stores {used / 1e6:.1f} MB of conversations, the limit is "
                f"{self.max_bytes / 1e6:.0f} MB. Delete some old conversations (or export them first), then go on.")

    # --- equity history ------------------------------------------------------------------------
    def record_equity(self, workspace_id: str, day: str, equity: float, cash: float, observed_at: str) -> None:
        with self.db.write() as cur:
            cur.execute("INSERT INTO equity_snapshots (workspace_id, day, equity, cash, observed_at) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace_id, day) DO UPDATE SET "
                        "equity = excluded.equity, cash = excluded.cash, observed_at = excluded.observed_at",
                        (workspace_id, day, equity, cash, observed_at))

    def equity_history(self, workspace_id: str) -> list[tuple[str, float, float, str]]:
        return self.db.read("SELECT day, equity, cash, observed_at FROM equity_snapshots WHERE workspace_id = ? "
                            "ORDER BY day", (workspace_id,))

    def equity_due(self, day: str) -> list[tuple[str, str | None, str | None]]:
        """(workspace id, username, observed_at of its `day` snapshot or None) of every workspace with an equity
        history: the ones the daily after-close job records."""
        return self.db.read("SELECT w.id, w.username, s.observed_at FROM workspaces w "
                            "LEFT JOIN equity_snapshots s ON s.workspace_id = w.id AND s.day = ? "
                            "WHERE EXISTS (SELECT 1 FROM equity_snapshots e WHERE e.workspace_id = w.id) "
                            "ORDER BY w.id", (day,))

    # --- strategy lab (backtest.lab.StrategyLab keeps its entries here; JSON text, numbered per workspace) ------
    def add_lab_entry(self, workspace_id: str, summary: str, trades: str, keep: int) -> int:
        """Store an entry under the workspace's next number (only the newest `keep` are kept); returns the number."""
        with self.db.write(lock=f"lab:{workspace_id}") as cur:
            number = cur.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM lab_entries WHERE workspace_id = ?",
                                 (workspace_id,)).fetchone()[0]
            cur.execute("INSERT INTO lab_entries (workspace_id, number, created_at, summary, trades) "
                        "VALUES (?, ?, ?, ?, ?)", (workspace_id, number, self.clock(), summary, trades))
            cur.execute("DELETE FROM lab_entries WHERE workspace_id = ? AND number <= ?",
                        (workspace_id, number - keep))
        return number

    def lab_entries(self, workspace_id: str) -> list[tuple[int, str]]:
        """(number, summary) of every entry, oldest first (without the trade lists)."""
        return self.db.read("SELECT number, summary FROM lab_entries WHERE workspace_id = ? ORDER BY number",
                            (workspace_id,))

    def lab_entry(self, workspace_id: str, number: int | None) -> tuple[int, str, str] | None:
        """(number, summary, trades) of entry `number`, or of the latest when None."""
        if number is None:
            return self.db.one("SELECT number, summary, trades FROM lab_entries WHERE workspace_id = ? "
                               "ORDER BY number DESC LIMIT 1", (workspace_id,))
        return self.db.one("SELECT number, summary, trades FROM lab_entries WHERE workspace_id = ? AND number = ?",
                           (workspace_id, number))

    # --- settings of the store itself ------------------------------------------------------------
    def meta(self, name: str, default: Callable[[], str]) -> str:
        """A value kept in the database (created once by `default`), e.g. the browser-state secret."""
        row = self.db.one("SELECT value FROM meta WHERE name = ?", (name,))
        if row is not None:
            return row[0]
        with self.db.write() as cur:
            cur.execute("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING", (name, default()))
        return self.db.one("SELECT value FROM meta WHERE name = ?", (name,))[0]

    # --- your data -------------------------------------------------------------------------------
    def export(self, workspace_id: str) -> dict:
        """Every conversation with its items, the equity history and the strategy lab, as plain JSON data."""
        row = self.db.one("SELECT created_at, username FROM workspaces WHERE id = ?", (workspace_id,))
        conversations = []
        for conversation in self.conversations(workspace_id):
            conversations.append({
                "id": conversation.id, "title": conversation.title, "created_at": conversation.created_at,
                "updated_at": conversation.updated_at,
                "messages": [json.loads(r) for r in self.records(workspace_id, conversation.id)],
            })
        return {
            "workspace": workspace_id,
            "signed_in_as": row[1] if row else None,
            "created_at": row[0] if row else None,
            "conversations": conversations,
            "equity_history": [dict(zip(("day", "equity", "cash", "observed_at"), r))
                               for r in self.equity_history(workspace_id)],
            "strategy_lab": [{"number": number, "created_at": created, **json.loads(summary),
                              "trades": json.loads(trades)} for number, created, summary, trades in self.db.read(
                "SELECT number, created_at, summary, trades FROM lab_entries WHERE workspace_id = ? ORDER BY number",
                (workspace_id,))],
        }
