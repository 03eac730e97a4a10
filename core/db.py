"""The one database engine of the app (SQLAlchemy Core, no ORM): SQLite files in DATA_DIR by default, or one
PostgreSQL database for every store when DATABASE_URL is `postgresql://…` (psycopg 3), so several replicas share it.

Stores speak plain, portable SQL with `?` placeholders through `Database.tx()` (one atomic write transaction, a
cursor) and `Database.read()` / `Database.one()`; rows can be read by position or by column name.

- **SQLite** (the default): one connection per file guarded by a lock (SQLite serialises writers anyway), WAL
  journal (readers never wait for a writer; `kill -9` leaves the last committed state), `synchronous=NORMAL` (a
  commit costs no fsync; FULL for the paper ledger), foreign keys on. A write transaction is `BEGIN IMMEDIATE`.
- **PostgreSQL**: a pool of connections per process (`DATABASE_POOL_SIZE`); statements are prepared by psycopg
  after a few uses. `tx(lock=…)` takes a transaction-scoped advisory lock first (the paper ledger of one account,
  the rate window of one visitor), `job_lock()` a session-scoped one that dies with its connection (a periodic
  job runs on one replica; a replica killed mid-job frees it).
- **Migrations**: one Alembic history (`core/migrations/`), run when a database is first opened in a process
  (under an advisory lock on PostgreSQL, so replicas starting together migrate once). Every database gets the
  whole schema; files made before Alembic (`PRAGMA user_version`, `CREATE TABLE IF NOT EXISTS`) are upgraded in
  place by the first revision, nothing lost.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.pool import StaticPool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
IntegrityError = exc.IntegrityError  # a unique or foreign key constraint said no (either engine)
DatabaseError = exc.DBAPIError  # any error the database raised (either engine)
POOL_SIZE = 10  # PostgreSQL connections per process (overridden by DATABASE_POOL_SIZE through configure())
_MIGRATION_LOCK = 0x5347_5452  # advisory lock key held while one replica migrates


def is_url(target: object) -> bool:
    return isinstance(target, str) and "://" in target


def is_postgres(target: object) -> bool:
    return is_url(target) and str(target).split("://", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def store_target(settings: Any, path: str | Path) -> str:
    """Where a store lives: the DATABASE_URL when one is set, else its own SQLite file `path` (today's layout)."""
    url = getattr(settings, "database_url", "") or ""
    url = url.reveal() if hasattr(url, "reveal") else str(url)
    if url:
        configure(pool_size=getattr(settings, "database_pool_size", None))
    return url if url else str(path)


def engine_url(target: str | Path) -> str:
    if is_url(target):
        url = str(target)
        scheme, rest = url.split("://", 1)
        if scheme in ("postgres", "postgresql"):
            return "postgresql+psycopg://" + rest
        return url
    if str(target) == ":memory:":
        return "sqlite://"
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    return "sqlite:///" + str(path.resolve())


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for `name` (the same in every process)."""
    return zlib.crc32(name.encode("utf-8")) - (1 << 31)


class Row(tuple):
    """A result row: a tuple that can also be read by column name (`row["status"]`)."""

    def __new__(cls, values: Sequence, index: dict[str, int]):
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


class Result:
    def __init__(self, result: sa.CursorResult):
        self.rowcount = result.rowcount
        if result.returns_rows:
            index = {name: i for i, name in enumerate(result.keys())}
            self._rows = [Row(r, index) for r in result.fetchall()]
        else:
            self._rows = []

    def fetchone(self) -> Row | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Row]:
        return self._rows

    def __iter__(self):
        return iter(self._rows)


class Cursor:
    """What a transaction hands out: `execute` / `executemany` with `?` placeholders, `rowcount` of the last one."""

    def __init__(self, engine: _Engine, conn: sa.Connection):
        self._engine = engine
        self.connection = conn
        self.rowcount = -1

    def execute(self, sql: str, params: Sequence = ()) -> Result:
        result = Result(self.connection.exec_driver_sql(self._engine.sql(sql), tuple(params)))
        self.rowcount = result.rowcount
        return result

    def executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
        rows = [tuple(r) for r in rows]
        if rows:
            self.connection.exec_driver_sql(self._engine.sql(sql), rows)


class _Engine:
    """One SQLAlchemy engine per database per process, shared by every store handle that opened it."""

    def __init__(self, url: str, synchronous: str):
        self.url = url
        self.dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
        self.users = 0
        self._local = threading.local()
        self._sql_cache: dict[str, str] = {}
        if self.dialect == "sqlite":
            self.lock = threading.RLock()
            path = url[len("sqlite:///"):] if url != "sqlite://" else ":memory:"
            self.engine = sa.create_engine(
                url, poolclass=StaticPool,
                connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None})
            self.path = path

            @event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_conn, _record):
                dbapi_conn.isolation_level = None  # we BEGIN ourselves
                dbapi_conn.execute("PRAGMA journal_mode=WAL")
                dbapi_conn.execute(f"PRAGMA synchronous={synchronous}")
                dbapi_conn.execute("PRAGMA foreign_keys=ON")

            @event.listens_for(self.engine, "begin")
            def _begin(conn):
                conn.exec_driver_sql("BEGIN IMMEDIATE" if getattr(self._local, "write", False) else "BEGIN")

            self._conn = self.engine.connect()
        else:
            self.lock = None
            self.path = None
            self.engine = sa.create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_SIZE, pool_recycle=1800)
            self._conn = None

    # --- SQL of either engine -----------------------------------------------------------------
    def sql(self, sql: str) -> str:
        if self.dialect == "sqlite":
            return sql
        cached = self._sql_cache.get(sql)
        if cached is None:
            cached = self._sql_cache[sql] = sql.replace("%", "%%").replace("?", "%s")
        return cached

    # --- transactions ---------------------------------------------------------------------------
    @contextmanager
    def transaction(self, *, write: bool, lock: str | None = None) -> Iterator[Cursor]:
        joined = getattr(self._local, "cursor", None)
        if joined is not None:  # a store method called inside another's transaction on this thread: join it
            if lock and self.dialect == "postgresql":
                joined.execute("SELECT pg_advisory_xact_lock(?)", (lock_key(lock),))
            yield joined
            return
        if self.dialect == "sqlite":
            with self.lock:
                self._local.write = write
                try:
                    with self._conn.begin():
                        cursor = self._local.cursor = Cursor(self, self._conn)
                        try:
                            yield cursor
                        finally:
                            self._local.cursor = None
                finally:
                    self._local.write = False
            return
        with self.engine.connect() as conn, conn.begin():
            cursor = self._local.cursor = Cursor(self, conn)
            try:
                if lock:
                    cursor.execute("SELECT pg_advisory_xact_lock(?)", (lock_key(lock),))
                yield cursor
            finally:
                self._local.cursor = None

    def dispose(self) -> None:
        if self._conn is not None:
            with self.lock:
                self._conn.close()
        self.engine.dispose()


_engines: dict[str, _Engine] = {}
_engines_lock = threading.Lock()


def configure(*, pool_size: int | None = None) -> None:
    """Process-wide engine settings (from core.settings, before the first database is opened)."""
    global POOL_SIZE
    if pool_size:
        POOL_SIZE = int(pool_size)


def _acquire(target: str | Path, synchronous: str) -> _Engine:
    url = engine_url(target)
    with _engines_lock:
        engine = _engines.get(url) if url != "sqlite://" else None
        if engine is None:
            engine = _Engine(url, synchronous)
            try:
                migrate(engine)
            except BaseException:
                engine.dispose()
                raise
            if url != "sqlite://":
                _engines[url] = engine
        engine.users += 1
        return engine


def _release(engine: _Engine) -> None:
    with _engines_lock:
        engine.users -= 1
        if engine.users > 0:
            return
        if _engines.get(engine.url) is engine:
            del _engines[engine.url]
    engine.dispose()


class Database:
    """A store's handle on its database (SQLite file path or a URL); the engine under it is shared per process."""

    def __init__(self, target: str | Path, *, synchronous: str = "NORMAL"):
        self.target = str(target)
        self._engine = _acquire(target, synchronous)
        self._closed = False

    @property
    def dialect(self) -> str:
        return self._engine.dialect

    @property
    def is_postgres(self) -> bool:
        return self._engine.dialect == "postgresql"

    @property
    def path(self) -> str | None:
        """The SQLite file (None on PostgreSQL)."""
        return self._engine.path

    @property
    def sqlite_connection(self):
        """The sqlite3 connection under a SQLite database (for tracing in tests); None on PostgreSQL."""
        conn = self._engine._conn
        return None if conn is None else conn.connection.dbapi_connection

    def tx(self, lock: str | None = None):
        """One atomic write transaction (a context manager giving a `Cursor`); on PostgreSQL `lock` names an
        advisory lock held until it ends (writers of the same thing queue; on SQLite every writer does)."""
        return self._engine.transaction(write=True, lock=lock)

    write = tx

    def reading(self):
        """One consistent read (a context manager giving a `Cursor`; several reads see the same state)."""
        return self._engine.transaction(write=False)

    def statement(self, sql: str, params: Sequence = ()) -> Result:
        """One statement, atomic by itself: on PostgreSQL sent in autocommit mode (one round trip, no BEGIN and
        COMMIT around it); on SQLite a write transaction."""
        if not self.is_postgres or getattr(self._engine._local, "cursor", None) is not None:
            with self.tx() as cur:
                return cur.execute(sql, params)
        with self._engine.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return Result(conn.exec_driver_sql(self._engine.sql(sql), tuple(params)))

    def read(self, sql: str, params: Sequence = ()) -> list[Row]:
        """One statement's rows (on PostgreSQL in autocommit mode: one round trip)."""
        if self.is_postgres:
            return self.statement(sql, params).fetchall()
        with self._engine.transaction(write=False) as cur:
            return cur.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence = ()) -> Row | None:
        rows = self.read(sql, params)
        return rows[0] if rows else None

    def integrity_ok(self) -> bool:
        if self.is_postgres:
            return self.one("SELECT 1") == (1,)
        return self.one("PRAGMA integrity_check") == ("ok",)

    @property
    def revision(self) -> str | None:
        """The Alembic revision of this database."""
        row = self.one("SELECT version_num FROM alembic_version")
        return row[0] if row else None

    @contextmanager
    def job_lock(self, name: str) -> Iterator[bool]:
        """Yields True when this process may run job `name` now: on PostgreSQL a session advisory lock taken
        without waiting (False when another replica holds it; released at the end, or by PostgreSQL when the
        holder's connection dies); on SQLite (one process) a lock of this process."""
        if not self.is_postgres:
            lock = _job_locks.setdefault((self._engine.url, name), threading.Lock())
            got = lock.acquire(blocking=False)
            try:
                yield got
            finally:
                if got:
                    lock.release()
            return
        key = lock_key("job:" + name)
        with self._engine.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            got = bool(conn.exec_driver_sql("SELECT pg_try_advisory_lock(%s)", (key,)).scalar())
            try:
                yield got
            finally:
                if got:
                    conn.exec_driver_sql("SELECT pg_advisory_unlock(%s)", (key,))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            _release(self._engine)


_job_locks: dict[tuple[str, str], threading.Lock] = {}


def run_once(db: Database, name: str, every_s: float, job, *, clock=time.time, owner: str = "") -> bool:
    """Run `job` unless another process ran it less than `every_s` ago or runs it now: the tick of a periodic job
    on N replicas. The slot is claimed (compare-and-set) under the job's lock, before the job runs, so a replica
    that dies mid-job leaves the next slot to whichever replica ticks then. True when `job` ran here."""
    with db.job_lock(name) as mine:
        if not mine:
            return False
        now = clock()
        with db.tx() as cur:
            cur.execute("INSERT INTO job_slots (name, started, finished, owner) VALUES (?, 0, 0, '') "
                        "ON CONFLICT (name) DO NOTHING", (name,))
            claimed = cur.execute("UPDATE job_slots SET started = ?, owner = ? WHERE name = ? AND started <= ?",
                                  (now, owner, name, now - every_s * 0.9)).rowcount == 1
        if not claimed:
            return False
        job()
        with db.tx() as cur:
            cur.execute("UPDATE job_slots SET finished = ? WHERE name = ?", (clock(), name))
        return True


# --- migrations -------------------------------------------------------------------------------------
def alembic_config(connection: sa.Connection | None = None, url: str | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", engine_url(url).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


_head: list[str] = []


def head_revision() -> str:
    if not _head:
        from alembic.script import ScriptDirectory

        _head.append(ScriptDirectory.from_config(alembic_config()).get_current_head())
    return _head[0]


def migrate(engine: _Engine) -> None:
    """Bring the database to the newest revision (nothing to do when it is there already)."""
    from alembic import command

    head = head_revision()
    if engine.dialect == "sqlite":
        with engine.transaction(write=False) as cur:
            if _current(cur) == head:
                return
            empty = cur.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0
        if empty:  # a new file: a copy of the schema migrated once per process (milliseconds, not Alembic's 0.1 s)
            with engine.lock:
                raw = engine._conn.connection.dbapi_connection
                _template().backup(raw)
                raw.execute("PRAGMA journal_mode=WAL")
            return
        with engine.lock:
            engine._local.write = True
            try:
                engine._conn.commit() if engine._conn.in_transaction() else None
                command.upgrade(alembic_config(engine._conn), "head")
                if engine._conn.in_transaction():
                    engine._conn.commit()
            finally:
                engine._local.write = False
        return
    with engine.engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        conn.commit()
        try:
            with conn.begin():
                current = _current_pg(conn)
            if current != head:
                command.upgrade(alembic_config(conn), "head")
                if conn.in_transaction():
                    conn.commit()
        finally:
            conn.exec_driver_sql("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
            conn.commit()


_templates: list = []


def _template():
    """An in-memory SQLite database at the newest revision, made by Alembic once per process."""
    if not _templates:
        from alembic import command

        engine = sa.create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
        with engine.connect() as conn:
            command.upgrade(alembic_config(conn), "head")
            conn.commit()
            _templates.append(conn.connection.dbapi_connection)
            _templates.append(engine)
    return _templates[0]


def _current(cur: Cursor) -> str | None:
    if cur.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone() is None:
        return None
    row = cur.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _current_pg(conn: sa.Connection) -> str | None:
    if conn.exec_driver_sql("SELECT to_regclass('alembic_version')").scalar() is None:
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
