"""Alembic's entry: the app runs it in-process on the connection it opened (core.db.migrate); `alembic -x
url=postgresql://… upgrade head` (or the app's DATABASE_URL setting) runs it by hand."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

connection = context.config.attributes.get("connection")


def run(conn) -> None:
    context.configure(connection=conn, render_as_batch=conn.dialect.name == "sqlite",
                      transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:  # from the command line
    from core.db import engine_url
    from core.settings import load_settings

    url = context.get_x_argument(as_dictionary=True).get("url") or load_settings().database_url.reveal() \
        or context.config.get_main_option("sqlalchemy.url")
    engine = sa.create_engine(engine_url(url))
    with engine.connect() as conn:
        run(conn)
        conn.commit()
