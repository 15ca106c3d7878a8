"""Engines, sessions and migrations, from one place.

The URL comes from ``PEERSCOPE_DATABASE_URL``; the default is a SQLite file under
``var/``. Engines are created on first use, never at import time.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.paths import var_dir

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def database_url() -> str:
    from bot.settings import load

    url = load().database_url
    if url:
        return url
    return f"sqlite:///{var_dir() / 'peerscope.db'}"


@functools.lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    # hide_parameters: an error message must never quote note or plan text
    if url.startswith("sqlite"):
        kwargs: dict = {"connect_args": {"timeout": 30}}
        if make_url(url).database not in (None, "", ":memory:"):
            # a file: keep connections open (SQLAlchemy 2's default) rather than open the
            # file, read its schema and set the pragmas again for every session
            kwargs = {"poolclass": QueuePool, "connect_args": {"timeout": 30, "check_same_thread": False}}
        engine = create_engine(url, future=True, hide_parameters=True, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, future=True, hide_parameters=True, pool_pre_ping=True)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@functools.lru_cache(maxsize=8)
def _sessionmaker(url: str) -> sessionmaker:
    return sessionmaker(bind=get_engine(url), future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session: Session = _sessionmaker(url or database_url())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (creating it if needed)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def current_revision(url: str | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def schema_problem(url: str | None = None) -> str | None:
    """One line saying what to run when the database at ``url`` is not at the latest schema
    (never migrated, or migrated by an older version); None when it is, or when it cannot
    be reached at all (that error is the one to show)."""
    try:
        current = current_revision(url)
    except Exception:
        return None
    if current == head_revision():
        return None
    state = "is not set up yet" if current is None else f"is at an older schema ({current})"
    return f"the database {state}: run `peerscope db upgrade` first"
