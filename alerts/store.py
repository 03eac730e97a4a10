"""Storage of watchlists, alerts, notifications, webhooks and briefs, keyed by workspace.

One SQLite file (DATA_DIR/alerts.sqlite3), or the shared PostgreSQL database with DATABASE_URL (`core.db`; the
schema is in the one Alembic history, applied at open).
The database is the scheduler's only state: rules, their crossing state, fired notifications and the last
run of every brief live here, so a restart rebuilds everything and fires nothing twice.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alerts.rules import AlertRule
from core.db import Cursor, Database, Row


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class StoredAlert:
    id: str
    workspace: str
    rule: AlertRule
    status: str
    source: str
    note: str
    last_state: int | None
    last_value: float | None
    fired_count: int
    last_fired: str | None
    created: str


@dataclass(frozen=True)
class Notification:
    id: int
    workspace: str
    created: str
    kind: str  # alert | brief
    title: str
    body: str
    data: dict
    delivery: str  # none | pending | delivered | failed
    delivery_detail: str
    attempts: int
    shown: bool


@dataclass(frozen=True)
class Brief:
    id: str
    workspace: str
    cadence: str  # daily | weekly
    at: str  # HH:MM exchange time
    weekday: int | None  # 0 = Monday (weekly briefs)
    last_run: str | None
    created: str = ""


def _alert(row: Row) -> StoredAlert:
    rule = AlertRule(row["symbol"], row["kind"], row["op"], row["threshold"], row["indicator"])
    return StoredAlert(row["id"], row["workspace"], rule, row["status"], row["source"], row["note"],
                       row["last_state"], row["last_value"], row["fired_count"], row["last_fired"], row["created"])


def _notification(row: Row) -> Notification:
    return Notification(row["id"], row["workspace"], row["created"], row["kind"], row["title"], row["body"],
                        json.loads(row["data"]), row["delivery"], row["delivery_detail"], row["attempts"],
                        bool(row["shown"]))


class AlertStore:
    """Thread-safe access to the alerts database (a file path or a database URL)."""

    def __init__(self, path: str | Path):
        self.path = path if "://" in str(path) else Path(path)
        self.db = Database(path)
        self._lock = threading.RLock()

    @property
    def schema_version(self) -> str | None:
        """The database's Alembic revision."""
        return self.db.revision

    def tx(self):
        """One atomic write transaction (a context manager giving a cursor)."""
        return self.db.tx()

    def query(self, sql: str, params: tuple = ()) -> list[Row]:
        return self.db.read(sql, params)

    def close(self) -> None:
        self.db.close()

    @staticmethod
    def new_id(cur: Cursor, table: str, prefix: str) -> str:
        while True:
            candidate = f"{prefix}-{secrets.token_hex(2).upper()}"
            if cur.execute(f"SELECT 1 FROM {table} WHERE id = ?", (candidate,)).fetchone() is None:
                return candidate

    # --- a whole workspace ---------------------------------------------------------------------
    WORKSPACE_TABLES = ("alerts", "watchlist", "notifications", "webhooks", "briefs", "notification_reads")

    def delete_workspace(self, workspace: str) -> None:
        """Everything this workspace has here: rules, watchlist, notifications, webhook, briefs, read marks."""
        with self.tx() as cur:
            for table in self.WORKSPACE_TABLES:
                cur.execute(f"DELETE FROM {table} WHERE workspace = ?", (workspace,))

    def export(self, workspace: str) -> dict:
        """The workspace's watchlist, alerts, briefs, notifications and webhook host, as plain data."""
        from urllib.parse import urlsplit

        hook = self.webhook(workspace)
        notes = self.query("SELECT * FROM notifications WHERE workspace = ? ORDER BY id", (workspace,))
        return {
            "watchlist": self.watchlist(workspace),
            "alerts": [{"id": a.id, "rule": a.rule.describe(), "status": a.status, "source": a.source,
                        "fired_count": a.fired_count, "last_fired": a.last_fired, "created": a.created}
                       for a in self.alerts(workspace)],
            "briefs": [{"id": b.id, "cadence": b.cadence, "at": b.at, "weekday": b.weekday, "last_run": b.last_run}
                       for b in self.briefs(workspace)],
            "notifications": [{"id": n.id, "created": n.created, "kind": n.kind, "title": n.title, "body": n.body,
                               "delivery": n.delivery} for n in map(_notification, notes)],
            "webhook_host": urlsplit(hook).hostname if hook else None,  # the URL itself may carry a token
        }

    # --- watchlist --------------------------------------------------------------------------
    def watchlist(self, workspace: str) -> list[str]:
        rows = self.query("SELECT symbol FROM watchlist WHERE workspace = ? ORDER BY added, symbol", (workspace,))
        return [row["symbol"] for row in rows]

    def watch(self, workspace: str, symbols: list[str], now: datetime) -> list[str]:
        """Adds symbols not there yet; returns the ones added."""
        with self.tx() as cur:
            added = []
            for symbol in symbols:
                done = cur.execute("INSERT INTO watchlist VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                   (workspace, symbol, utc_text(now)))
                if done.rowcount:
                    added.append(symbol)
            return added

    def unwatch(self, workspace: str, symbol: str) -> bool:
        with self.tx() as cur:
            return bool(cur.execute("DELETE FROM watchlist WHERE workspace = ? AND symbol = ?",
                                    (workspace, symbol)).rowcount)

    # --- alerts -----------------------------------------------------------------------------
    def add_alert(self, workspace: str, rule: AlertRule, *, status: str, source: str, note: str,
                  now: datetime) -> StoredAlert:
        with self.tx() as cur:
            alert_id = self.new_id(cur, "alerts", "A")
            cur.execute("INSERT INTO alerts (id, workspace, symbol, kind, op, threshold, indicator, status, source, "
                        "note, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (alert_id, workspace, rule.symbol, rule.kind, rule.op, rule.threshold, rule.indicator,
                         status, source, note, utc_text(now)))
        return self.alert(workspace, alert_id)

    def alert(self, workspace: str, alert_id: str) -> StoredAlert | None:
        rows = self.query("SELECT * FROM alerts WHERE workspace = ? AND id = ? AND status != 'deleted'",
                          (workspace, alert_id.strip().upper()))
        return _alert(rows[0]) if rows else None

    def alerts(self, workspace: str, status: str | None = None) -> list[StoredAlert]:
        if status:
            rows = self.query("SELECT * FROM alerts WHERE workspace = ? AND status = ? ORDER BY created, id",
                              (workspace, status))
        else:
            rows = self.query("SELECT * FROM alerts WHERE workspace = ? AND status != 'deleted' "
                              "ORDER BY created, id", (workspace,))
        return [_alert(row) for row in rows]

    def count_briefs(self, workspace: str) -> int:
        return self.query("SELECT COUNT(*) FROM briefs WHERE workspace = ?", (workspace,))[0][0]

    def count_alerts(self, workspace: str) -> int:
        return self.query("SELECT COUNT(*) FROM alerts WHERE workspace = ? AND status != 'deleted'",
                          (workspace,))[0][0]

    def set_status(self, workspace: str, alert_id: str, old: tuple[str, ...], new: str) -> bool:
        marks = ",".join("?" * len(old))
        with self.tx() as cur:
            return bool(cur.execute(f"UPDATE alerts SET status = ? WHERE workspace = ? AND id = ? "
                                    f"AND status IN ({marks})",
                                    (new, workspace, alert_id.strip().upper(), *old)).rowcount)

    def active_rules(self) -> list[tuple]:
        """Every active rule of every workspace as plain tuples (id, workspace, symbol, kind, op, threshold,
        indicator, last_state): the scheduler's input."""
        return [tuple(row) for row in self.db.read("SELECT id, workspace, symbol, kind, op, threshold, indicator, "
                                                   "last_state FROM alerts WHERE status = 'active'")]

    def webhooks(self) -> dict[str, str]:
        """Every workspace's webhook URL."""
        return {row["workspace"]: row["url"] for row in self.query("SELECT workspace, url FROM webhooks")}

    def record_check(self, states: list[tuple], fired: list[tuple], notifications: list[tuple],
                     now: datetime) -> list[int]:
        """One transaction: new crossing states, fired counters and the notifications they produce.

        `states`: (last_state, last_value, id); `fired`: (id,); `notifications`: (workspace, kind, title, body,
        data, delivery). Returns the new notification ids.
        """
        stamp = utc_text(now)
        if self.db.is_postgres:  # a few statements instead of one round trip per row
            return self._record_check_batched(states, fired, notifications, stamp)
        with self.tx() as cur:
            cur.executemany("UPDATE alerts SET last_state = ?, last_value = ? WHERE id = ? AND status = 'active'",
                            states)
            cur.executemany("UPDATE alerts SET fired_count = fired_count + 1, last_fired = ? WHERE id = ?",
                            [(stamp, alert_id) for (alert_id,) in fired])
            return [self._insert_notification(cur, *item, stamp) for item in notifications]

    BATCH = 1000

    def _record_check_batched(self, states, fired, notifications, stamp: str) -> list[int]:
        ids: list[int] = []
        with self.tx() as cur:
            for start in range(0, len(states), self.BATCH):
                chunk = states[start:start + self.BATCH]
                values = ", ".join("(?::integer, ?::double precision, ?::text)" for _ in chunk)
                cur.execute("UPDATE alerts SET last_state = v.state, last_value = v.value "
                            f"FROM (VALUES {values}) AS v(state, value, id) "
                            "WHERE alerts.id = v.id AND alerts.status = 'active'",
                            [x for row in chunk for x in (int(row[0]), float(row[1]), str(row[2]))])
            if fired:
                cur.execute("UPDATE alerts SET fired_count = fired_count + 1, last_fired = ? WHERE id = ANY(?)",
                            (stamp, [str(alert_id) for (alert_id,) in fired]))
            for start in range(0, len(notifications), self.BATCH):
                chunk = notifications[start:start + self.BATCH]
                values = ", ".join("(?, ?, ?, ?, ?, ?, ?)" for _ in chunk)
                rows = cur.execute(
                    "INSERT INTO notifications (workspace, created, kind, title, body, data, delivery) "
                    f"VALUES {values} RETURNING id", [x for (workspace, kind, title, body, data, delivery) in chunk
                                     for x in (workspace, stamp, kind, title, body, json.dumps(data), delivery)])
                ids.extend(sorted(row[0] for row in rows))
        return ids

    # --- notifications ------------------------------------------------------------------------
    @staticmethod
    def _insert_notification(cur, workspace, kind, title, body, data, delivery, stamp) -> int:
        return cur.execute("INSERT INTO notifications (workspace, created, kind, title, body, data, delivery) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           (workspace, stamp, kind, title, body, json.dumps(data), delivery)).fetchone()[0]

    def add_notification(self, workspace: str, kind: str, title: str, body: str, data: dict, delivery: str,
                         now: datetime) -> int:
        with self.tx() as cur:
            return self._insert_notification(cur, workspace, kind, title, body, data, delivery, utc_text(now))

    def notifications(self, workspace: str, limit: int = 20) -> list[Notification]:
        rows = self.query("SELECT * FROM notifications WHERE workspace = ? ORDER BY id DESC LIMIT ?",
                          (workspace, limit))
        return [_notification(row) for row in rows]

    def notification(self, notification_id: int) -> Notification | None:
        rows = self.query("SELECT * FROM notifications WHERE id = ?", (notification_id,))
        return _notification(rows[0]) if rows else None

    def unshown(self, workspace: str) -> list[Notification]:
        """Notifications not yet shown as a toast, oldest first; marks them shown."""
        with self.tx() as cur:
            rows = cur.execute("SELECT * FROM notifications WHERE workspace = ? AND shown = 0 ORDER BY id",
                               (workspace,)).fetchall()
            cur.execute("UPDATE notifications SET shown = 1 WHERE workspace = ? AND shown = 0", (workspace,))
        return [_notification(row) for row in rows]

    def latest_id(self, workspace: str) -> int:
        rows = self.query("SELECT MAX(id) AS last FROM notifications WHERE workspace = ?", (workspace,))
        return int(rows[0]["last"] or 0)

    def after(self, workspace: str, after_id: int) -> list[Notification]:
        """Notifications newer than `after_id`, oldest first; marks them shown (an open page shows them)."""
        with self.tx() as cur:
            rows = cur.execute("SELECT * FROM notifications WHERE workspace = ? AND id > ? ORDER BY id",
                               (workspace, after_id)).fetchall()
            cur.execute("UPDATE notifications SET shown = 1 WHERE workspace = ? AND id > ? AND shown = 0",
                        (workspace, after_id))
        return [_notification(row) for row in rows]

    def undelivered(self, workspace: str | None = None) -> list[Notification]:
        """Notifications awaiting webhook delivery (of one workspace, or all), oldest first."""
        if workspace is None:
            rows = self.query("SELECT * FROM notifications WHERE delivery = 'pending' ORDER BY id")
        else:
            rows = self.query("SELECT * FROM notifications WHERE delivery = 'pending' AND workspace = ? ORDER BY id",
                              (workspace,))
        return [_notification(row) for row in rows]

    def undelivered_workspaces(self) -> list[str]:
        rows = self.query("SELECT DISTINCT workspace FROM notifications WHERE delivery = 'pending'")
        return [row["workspace"] for row in rows]

    def mark_read(self, workspace: str, upto: int, now: datetime) -> None:
        """Every notification of the workspace up to id `upto` counts as read (never moves back)."""
        with self.tx() as cur:
            cur.execute("INSERT INTO notification_reads VALUES (?, ?, ?) ON CONFLICT (workspace) DO UPDATE "
                        "SET read_upto = CASE WHEN excluded.read_upto > notification_reads.read_upto "
                        "THEN excluded.read_upto ELSE notification_reads.read_upto END, updated = excluded.updated",
                        (workspace, upto, utc_text(now)))

    def unread_count(self, workspace: str) -> int:
        rows = self.query("SELECT COUNT(*) FROM notifications WHERE workspace = ? AND id > COALESCE("
                          "(SELECT read_upto FROM notification_reads WHERE workspace = ?), 0)",
                          (workspace, workspace))
        return int(rows[0][0])

    def set_delivery(self, notification_id: int, delivery: str, detail: str, attempts: int) -> None:
        with self.tx() as cur:
            cur.execute("UPDATE notifications SET delivery = ?, delivery_detail = ?, attempts = attempts + ? "
                        "WHERE id = ?", (delivery, detail[:300], attempts, notification_id))

    # --- webhooks -----------------------------------------------------------------------------
    def webhook(self, workspace: str) -> str | None:
        rows = self.query("SELECT url FROM webhooks WHERE workspace = ?", (workspace,))
        return rows[0]["url"] if rows else None

    def set_webhook(self, workspace: str, url: str | None, now: datetime) -> None:
        with self.tx() as cur:
            if url:
                cur.execute("INSERT INTO webhooks VALUES (?, ?, ?) ON CONFLICT (workspace) DO UPDATE "
                            "SET url = excluded.url, updated = excluded.updated", (workspace, url, utc_text(now)))
            else:
                cur.execute("DELETE FROM webhooks WHERE workspace = ?", (workspace,))

    # --- briefs -------------------------------------------------------------------------------
    def add_brief(self, workspace: str, cadence: str, at: str, weekday: int | None, now: datetime) -> Brief:
        with self.tx() as cur:
            brief_id = self.new_id(cur, "briefs", "B")
            cur.execute("INSERT INTO briefs (id, workspace, cadence, at, weekday, last_run, created) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (brief_id, workspace, cadence, at, weekday, None, utc_text(now)))
        return Brief(brief_id, workspace, cadence, at, weekday, None, utc_text(now))

    def briefs(self, workspace: str | None = None) -> list[Brief]:
        sql = "SELECT * FROM briefs" + (" WHERE workspace = ?" if workspace else "") + " ORDER BY created, id"
        rows = self.query(sql, (workspace,) if workspace else ())
        return [Brief(r["id"], r["workspace"], r["cadence"], r["at"], r["weekday"], r["last_run"], r["created"])
                for r in rows]

    def delete_brief(self, workspace: str, brief_id: str) -> bool:
        with self.tx() as cur:
            return bool(cur.execute("DELETE FROM briefs WHERE workspace = ? AND id = ?",
                                    (workspace, brief_id.strip().upper())).rowcount)

    def claim_brief(self, brief_id: str, previous: str | None, run: str) -> bool:
        """Marks a brief as run at `run` unless someone else already did (no double briefs after a restart)."""
        with self.tx() as cur:
            return bool(cur.execute("UPDATE briefs SET last_run = ? WHERE id = ? AND last_run IS NOT DISTINCT FROM ?",
                                    (run, brief_id, previous)).rowcount)
