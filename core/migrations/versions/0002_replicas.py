"""Replicas: the per-minute rate window as rows (one count for every replica), a stop request on a run that any
replica can set and the run's owner polls, and the slots of periodic jobs (a job runs once across replicas).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table("rate_events", sa.Column("id", BigId, primary_key=True, autoincrement=True),
                    sa.Column("visitor", sa.Text, nullable=False), sa.Column("at", sa.Float, nullable=False))
    op.create_index("rate_events_by_visitor", "rate_events", ["visitor", "at"])
    with op.batch_alter_table("runs") as runs:
        runs.add_column(sa.Column("stop_requested", sa.Integer, nullable=False, server_default="0"))
    op.create_table("job_slots", sa.Column("name", sa.Text, primary_key=True),
                    sa.Column("started", sa.Float, nullable=False), sa.Column("finished", sa.Float, nullable=False),
                    sa.Column("owner", sa.Text, nullable=False, server_default=""))
