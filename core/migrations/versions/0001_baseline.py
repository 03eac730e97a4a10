"""Baseline: every store's tables as they were before Alembic (workspaces v3, alerts v2, the paper ledger and its
tickets, runs, token usage). A SQLite file made before Alembic is brought up to that point in place (its old
`PRAGMA user_version` steps first); a table that already exists is kept as it is, so nothing is lost.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Text, Float, Int = sa.Text, sa.Float, sa.Integer
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # INTEGER PRIMARY KEY is SQLite's rowid

# The steps of the files of before (frozen: they are history now).
LEGACY_WORKSPACES = {
    2: """
    ALTER TABLE conversations ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
    UPDATE conversations SET bytes = (SELECT COALESCE(SUM(LENGTH(data)), 0) FROM messages
                                      WHERE messages.conversation_id = conversations.id);
    CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE equity_snapshots (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        day TEXT NOT NULL, equity REAL NOT NULL, cash REAL NOT NULL, observed_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, day)
    ) WITHOUT ROWID
    """,
    3: """
    CREATE TABLE lab_entries (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        number INTEGER NOT NULL, created_at REAL NOT NULL, summary TEXT NOT NULL, trades TEXT NOT NULL,
        PRIMARY KEY (workspace_id, number)
    ) WITHOUT ROWID
    """,
}
LEGACY_ALERTS = {
    2: """
    CREATE TABLE notification_reads (workspace TEXT PRIMARY KEY, read_upto INTEGER NOT NULL, updated TEXT NOT NULL);
    INSERT INTO notification_reads SELECT workspace, MAX(id), MAX(created) FROM notifications GROUP BY workspace
    """,
}


def _legacy_sqlite(bind) -> None:
    tables = set(sa.inspect(bind).get_table_names())
    version = bind.exec_driver_sql("PRAGMA user_version").scalar()
    steps = LEGACY_WORKSPACES if "workspaces" in tables else LEGACY_ALERTS if "alerts" in tables else {}
    for number, sql in sorted(steps.items()):
        if number > version:
            for statement in (s.strip() for s in sql.split(";")):
                if statement:
                    bind.exec_driver_sql(statement)
            bind.exec_driver_sql(f"PRAGMA user_version = {number}")


def _workspaces():
    op.create_table("workspaces", sa.Column("id", Text, primary_key=True), sa.Column("key_hash", Text, unique=True),
                    sa.Column("username", Text, unique=True), sa.Column("created_at", Float, nullable=False),
                    sa.Column("last_seen", Float, nullable=False))


def _conversations():
    op.create_table("conversations", sa.Column("id", Text, primary_key=True),
                    sa.Column("workspace_id", Text, sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
                              nullable=False),
                    sa.Column("title", Text, nullable=False), sa.Column("created_at", Float, nullable=False),
                    sa.Column("updated_at", Float, nullable=False),
                    sa.Column("bytes", Int, nullable=False, server_default="0"))
    op.create_index("conversations_by_workspace", "conversations", ["workspace_id", "updated_at"])


def _messages():
    op.create_table("messages",
                    sa.Column("conversation_id", Text, sa.ForeignKey("conversations.id", ondelete="CASCADE"),
                              primary_key=True),
                    sa.Column("seq", Int, primary_key=True, autoincrement=False),
                    sa.Column("data", Text, nullable=False))


def _meta():
    op.create_table("meta", sa.Column("name", Text, primary_key=True), sa.Column("value", Text, nullable=False))


def _equity_snapshots():
    op.create_table("equity_snapshots",
                    sa.Column("workspace_id", Text, sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
                              primary_key=True),
                    sa.Column("day", Text, primary_key=True), sa.Column("equity", Float, nullable=False),
                    sa.Column("cash", Float, nullable=False), sa.Column("observed_at", Text, nullable=False))


def _lab_entries():
    op.create_table("lab_entries",
                    sa.Column("workspace_id", Text, sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
                              primary_key=True),
                    sa.Column("number", Int, primary_key=True, autoincrement=False),
                    sa.Column("created_at", Float, nullable=False), sa.Column("summary", Text, nullable=False),
                    sa.Column("trades", Text, nullable=False))


def _accounts():
    op.create_table("accounts", sa.Column("id", Text, primary_key=True), sa.Column("cash", Text, nullable=False),
                    sa.Column("starting_cash", Text, nullable=False), sa.Column("created_at", Text, nullable=False))


def _positions():
    op.create_table("positions", sa.Column("account", Text, primary_key=True),
                    sa.Column("symbol", Text, primary_key=True), sa.Column("qty", Text, nullable=False),
                    sa.Column("avg_cost", Text, nullable=False), sa.Column("realized_pl", Text, nullable=False))


def _orders():
    text_cols = ("client_order_id", "symbol", "side", "type", "qty")
    op.create_table(
        "orders", sa.Column("id", Text, primary_key=True), sa.Column("account", Text, nullable=False),
        *(sa.Column(name, Text, nullable=False) for name in text_cols),
        *(sa.Column(name, Text) for name in ("notional", "limit_price", "stop_price", "take_profit", "stop_loss")),
        sa.Column("time_in_force", Text, nullable=False), sa.Column("order_class", Text, nullable=False),
        sa.Column("parent_id", Text), sa.Column("leg", Text), sa.Column("status", Text, nullable=False),
        sa.Column("filled_qty", Text, nullable=False, server_default="0"), sa.Column("filled_avg_price", Text),
        sa.Column("reason", Text, nullable=False, server_default=""),
        sa.Column("trading_date", Text, nullable=False), sa.Column("created_at", Text, nullable=False),
        sa.Column("updated_at", Text, nullable=False), sa.UniqueConstraint("account", "client_order_id"))
    op.create_index("orders_open", "orders", ["account", "status"])


def _fills():
    op.create_table("fills", sa.Column("id", BigId, primary_key=True, autoincrement=True),
                    *(sa.Column(name, Text, nullable=False)
                      for name in ("account", "order_id", "symbol", "side", "qty", "price", "at")),
                    sqlite_autoincrement=True)
    op.create_index("fills_account", "fills", ["account"])


def _tickets():
    op.create_table("tickets", sa.Column("workspace", Text, primary_key=True),
                    sa.Column("account", Text, primary_key=True), sa.Column("id", Text, primary_key=True),
                    sa.Column("status", Text, nullable=False), sa.Column("order_json", Text, nullable=False),
                    sa.Column("risk_json", Text, nullable=False), sa.Column("result_json", Text),
                    sa.Column("error", Text, nullable=False, server_default=""),
                    sa.Column("history_json", Text, nullable=False, server_default="[]"),
                    sa.Column("created_at", Text, nullable=False), sa.Column("expires_at", Text, nullable=False),
                    sa.Column("claim", Text), sa.Column("claimed_at", Text),
                    sa.Column("updated_at", Text, nullable=False))


def _alerts():
    op.create_table(
        "alerts", sa.Column("id", Text, primary_key=True), sa.Column("workspace", Text, nullable=False),
        sa.Column("symbol", Text, nullable=False), sa.Column("kind", Text, nullable=False),
        sa.Column("op", Text, nullable=False), sa.Column("threshold", Float, nullable=False),
        sa.Column("indicator", Text, nullable=False, server_default=""),
        sa.Column("status", Text, sa.CheckConstraint("status IN ('pending', 'active', 'deleted')"), nullable=False),
        sa.Column("source", Text, nullable=False, server_default="person"),
        sa.Column("note", Text, nullable=False, server_default=""), sa.Column("last_state", Int),
        sa.Column("last_value", Float), sa.Column("fired_count", Int, nullable=False, server_default="0"),
        sa.Column("last_fired", Text), sa.Column("created", Text, nullable=False))
    op.create_index("alerts_by_workspace", "alerts", ["workspace", "status"])
    op.create_index("alerts_active", "alerts", ["status", "symbol"])


def _watchlist():
    op.create_table("watchlist", sa.Column("workspace", Text, primary_key=True),
                    sa.Column("symbol", Text, primary_key=True), sa.Column("added", Text, nullable=False))


def _notifications():
    op.create_table(
        "notifications", sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("workspace", Text, nullable=False), sa.Column("created", Text, nullable=False),
        sa.Column("kind", Text, nullable=False), sa.Column("title", Text, nullable=False),
        sa.Column("body", Text, nullable=False), sa.Column("data", Text, nullable=False, server_default="{}"),
        sa.Column("delivery", Text, nullable=False, server_default="none"),
        sa.Column("delivery_detail", Text, nullable=False, server_default=""),
        sa.Column("attempts", Int, nullable=False, server_default="0"),
        sa.Column("shown", Int, nullable=False, server_default="0"), sqlite_autoincrement=True)
    op.create_index("notifications_by_workspace", "notifications", ["workspace", "id"])
    op.create_index("notifications_undelivered", "notifications", ["delivery"],
                    sqlite_where=sa.text("delivery = 'pending'"), postgresql_where=sa.text("delivery = 'pending'"))


def _webhooks():
    op.create_table("webhooks", sa.Column("workspace", Text, primary_key=True), sa.Column("url", Text, nullable=False),
                    sa.Column("updated", Text, nullable=False))


def _briefs():
    op.create_table("briefs", sa.Column("id", Text, primary_key=True), sa.Column("workspace", Text, nullable=False),
                    sa.Column("cadence", Text, nullable=False), sa.Column("at", Text, nullable=False),
                    sa.Column("weekday", Int), sa.Column("last_run", Text), sa.Column("created", Text, nullable=False))
    op.create_index("briefs_by_workspace", "briefs", ["workspace"])


def _notification_reads():
    op.create_table("notification_reads", sa.Column("workspace", Text, primary_key=True),
                    sa.Column("read_upto", Int, nullable=False), sa.Column("updated", Text, nullable=False))


def _runs():
    op.create_table("runs", sa.Column("id", Text, primary_key=True), sa.Column("workspace", Text, nullable=False),
                    sa.Column("message", Text, nullable=False), sa.Column("status", Text, nullable=False),
                    sa.Column("items", Text, nullable=False), sa.Column("answer", Text), sa.Column("error", Text),
                    sa.Column("created", Float, nullable=False), sa.Column("updated", Float, nullable=False))
    op.create_index("runs_by_workspace", "runs", ["workspace", "created"])


def _token_usage():
    op.create_table("token_usage", sa.Column("visitor", Text, primary_key=True),
                    sa.Column("day", Text, primary_key=True),
                    sa.Column("tokens", Int, nullable=False, server_default="0"))


TABLES = (
    ("workspaces", _workspaces), ("conversations", _conversations), ("messages", _messages), ("meta", _meta),
    ("equity_snapshots", _equity_snapshots), ("lab_entries", _lab_entries),
    ("accounts", _accounts), ("positions", _positions), ("orders", _orders), ("fills", _fills),
    ("tickets", _tickets),
    ("alerts", _alerts), ("watchlist", _watchlist), ("notifications", _notifications), ("webhooks", _webhooks),
    ("briefs", _briefs), ("notification_reads", _notification_reads),
    ("runs", _runs), ("token_usage", _token_usage),
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _legacy_sqlite(bind)
    existing = set(sa.inspect(bind).get_table_names())
    for name, make in TABLES:
        if name not in existing:
            make()
