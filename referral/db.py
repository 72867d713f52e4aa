"""The database: one engine per application, sessions for requests and commands, migrations.

SQLite (one post): WAL journal, ``synchronous=FULL`` (a committed case survives power loss), ``secure_delete``
(freed bytes are zeroed), foreign keys, temporary tables in memory (nothing spills to $TMPDIR), and
``BEGIN IMMEDIATE`` so that writers queue on the busy timeout instead of failing half-way.
PostgreSQL (a national server): ``REFERRAL_DATABASE_URL`` with psycopg 3. Migrations run as the owner role
(``REFERRAL_DATABASE_ADMIN_URL``, or the app's own URL); the app's role may only read and append the audit trail.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from .config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
BUSY_TIMEOUT_MS = 15000  # writers queue rather than fail when a post has many tablets busy at once
AUDIT_TABLES = ("audit_events", "audit_checkpoints")  # append-only for the app role
READ_ONLY_OPTION = "referral_read_only"
SEALED_TABLES = ("cases", "referrals", "drafts")
_SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA secure_delete=ON",
                   "PRAGMA foreign_keys=ON", "PRAGMA temp_store=MEMORY", f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def normalise_url(url: str) -> str:
    """PostgreSQL URLs go through psycopg 3 whatever driver they name."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Created 0600 here; SQLite gives its -wal and -shm files the database file's mode.
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # noqa: ANN001
        deferred = connection.get_execution_options().get(READ_ONLY_OPTION)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

    return engine


class Database:
    """The application's engine, how to open sessions on it, and its maintenance."""

    def __init__(self, url: str, admin_url: str | None = None) -> None:
        self.url = normalise_url(url)
        self.admin_url = normalise_url(admin_url) if admin_url else None
        self.engine = make_engine(self.url)
        # The same pool, marked so that its transactions only read (see ``_begin``): made once, used per request.
        self.read_engine = self.engine.execution_options(**{READ_ONLY_OPTION: True})

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def session(self) -> Session:
        """A session for work that writes: on SQLite its transactions take the write lock from the start."""
        return Session(self.engine, expire_on_commit=False)

    def read_session(self) -> Session:
        """A session that only reads: it never holds SQLite's write lock, so writers are not kept waiting."""
        return Session(self.read_engine, expire_on_commit=False)

    def schema_is_current(self) -> bool:
        """Whether the database has every migration (a server must not start on an old or empty schema)."""
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        head = ScriptDirectory.from_config(config).get_current_head()
        try:
            with self.engine.connect() as connection:
                current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:  # noqa: BLE001 - no table yet: not current
            return False
        return current == head

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (as the owner role), then set the app role's rights."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        admin = make_engine(self.admin_url) if self.admin_url else self.engine
        try:
            with admin.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            if self.admin_url and not self.is_sqlite:
                self._grant_app_role(admin)
        finally:
            if admin is not self.engine:
                admin.dispose()

    def _grant_app_role(self, admin: Engine) -> None:
        role = make_url(self.url).username
        if not role or role == make_url(self.admin_url).username:
            return
        quoted = '"' + role.replace('"', '""') + '"'
        with admin.begin() as connection:
            connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
            connection.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                                    f"TO {quoted}"))
            connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))
            for table in AUDIT_TABLES:
                connection.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {quoted}"))
            connection.execute(text(f"REVOKE ALL ON alembic_version FROM {quoted}"))
            connection.execute(text(f"GRANT SELECT ON alembic_version TO {quoted}"))

    def checkpoint_wal(self, attempts: int = 50) -> None:
        """SQLite: copy the WAL into the database and truncate it, so erased bytes leave the WAL.

        A reader holding an old snapshot makes the checkpoint report busy; wait and retry.
        """
        if not self.is_sqlite:
            return
        with self.engine.connect() as connection:
            connection.connection.driver_connection.isolation_level = None
            raw = connection.connection.driver_connection
            for _ in range(attempts):
                busy, _log, _done = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if not busy:
                    return
                time.sleep(0.05)
        raise RuntimeError("the SQLite WAL could not be checkpointed: a reader kept it busy")

    def scrub_after_erasure(self) -> None:
        """Make erased bytes leave the live files: SQLite's WAL is truncated (secure_delete zeroed the pages);
        PostgreSQL's tables holding sealed data are rewritten by VACUUM FULL as the owner role, because a
        plain VACUUM leaves dead row versions' bytes in the heap pages.
        """
        if self.is_sqlite:
            self.checkpoint_wal()
            return
        engine = make_engine(self.admin_url) if self.admin_url else self.engine
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text(f"VACUUM (FULL) {', '.join(SEALED_TABLES)}"))
        finally:
            if engine is not self.engine:
                engine.dispose()

    def dispose(self) -> None:
        self.engine.dispose()


def init_app(app: Flask) -> Database:
    """Give ``app`` its database (no connection is opened yet) and close request sessions at teardown."""
    settings = app.extensions["referral.settings"]
    database = Database(settings.database_url, settings.database_admin_url)
    app.extensions["referral.db"] = database
    app.teardown_appcontext(_close_session)
    return database


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["referral.db"]


def get_session() -> Session:
    """The session of the current request or command; the same one is reused until the context ends."""
    if "db_session" not in g:
        g.db_session = get_db().session()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
