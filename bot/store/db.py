"""Database engine, sessions and migrations. Nothing here runs at import time."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from bot.store.leadership import migration_lock

logger = logging.getLogger(__name__)
T = TypeVar("T")
P = ParamSpec("P")

def _migrations_dir() -> Path:
    """The migrations shipped inside the package (an installed wheel: bot/migrations), else the
    checkout's top-level alembic/ folder (a clone, an editable install)."""
    packaged = Path(__file__).resolve().parents[1] / "migrations"
    if (packaged / "env.py").is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "alembic"


ALEMBIC_DIR = _migrations_dir()


class UnknownSchemaError(Exception):
    """The database is at a schema revision these migrations don't know: a newer program made it."""

    def __init__(self, current: str, head: str) -> None:
        super().__init__(f"schema revision {current} is unknown to this program (newest known: {head})")
        self.current = current
        self.head = head


def sqlite_file(url: str) -> str | None:
    """Return the file path of a SQLite URL as written (relative to the working folder), else None."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    if not path or ":memory:" in path:
        return None
    return path


def make_engine(url: str, *, create_folder: bool = True, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout.

    A SQLite file's folder is created unless `create_folder` is False (OSError when it can't be)."""
    if url.startswith("sqlite"):
        path = sqlite_file(url)
        if path:
            if create_folder:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        db = create_engine(url, **kwargs)
        event.listen(db, "connect", _sqlite_pragmas)
        return db
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def session_scope(db: Engine) -> Iterator[Session]:
    """Open a session that commits on success and rolls back on error."""
    with Session(db, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


class ThreadedTransactions:
    """Each step in its own session_scope, in a worker thread (the engine's Transactions port)."""

    def __init__(self, db: Engine) -> None:
        self.db = db

    async def run(self, step: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.to_thread(functools.partial(self.run_now, step, *args, **kwargs))

    async def read(self, step: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A step that only reads (a page shown): the same as run (SQLite begins nothing for a read)."""
        return await self.run(step, *args, **kwargs)

    def run_now(self, step: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """The same step on the calling thread (for synchronous callers: the CLI, tests)."""
        with session_scope(self.db) as session:
            return step(session, *args, **kwargs)


class LoopTransactions:
    """Each step in a transaction of its own on the event loop, the driver's waits awaited (PostgreSQL).

    A command's step makes a few round trips to the server; in a worker thread each one is a wake-up
    and a handoff of the interpreter lock, which on a busy machine costs more than the step itself
    (docs/performance.md). Here the step runs in SQLAlchemy's asyncio session (`run_sync`: the same
    synchronous code, each statement awaited on psycopg's async connection), so while the server
    answers, or a row lock is held elsewhere, the loop serves other chats. Its connections belong to
    the loop that opened them: `close()` on the same loop when the application stops."""

    def __init__(self, db: Engine) -> None:
        self.db = db
        self._engine: AsyncEngine | None = None
        self._reads: AsyncEngine | None = None  # the same pool, its connections in autocommit
        self._loop: asyncio.AbstractEventLoop | None = None

    def _async_engine(self, *, reads: bool = False) -> AsyncEngine:
        loop = asyncio.get_running_loop()
        if self._engine is None or self._reads is None or self._loop is not loop:
            self._engine = create_async_engine(self.db.url)  # no ping per checkout: run() retries once
            self._reads = self._engine.execution_options(isolation_level="AUTOCOMMIT")
            self._loop = loop
        return self._reads if reads else self._engine

    async def run(self, step: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._run(self._async_engine(), step, *args, **kwargs)

    async def read(self, step: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A step that only reads (a page shown): each statement on its own, no BEGIN and COMMIT
        round trips; it must write nothing (a write would be committed at once, alone)."""
        return await self._run(self._async_engine(reads=True), step, *args, **kwargs)

    async def _run(self, engine: AsyncEngine, step: Callable[Concatenate[Session, P], T], *args: P.args,
                   **kwargs: P.kwargs) -> T:
        for attempt in (1, 2):
            async with AsyncSession(engine, expire_on_commit=False,
                                    sync_session_class=Session) as session:  # the step gets SQLModel's session
                try:
                    result = await session.run_sync(lambda sync: step(cast(Session, sync), *args, **kwargs))
                except DBAPIError as exc:
                    await session.rollback()
                    if exc.connection_invalidated and attempt == 1:
                        # the server dropped a pooled connection (a restart): the pool is renewed and
                        # the step, rolled back, runs once more (cheaper than a ping per command)
                        logger.info("database connection lost; the step runs again on a new one")
                        continue
                    raise
                except BaseException:
                    await session.rollback()
                    raise
                await session.commit()  # a commit whose answer is lost is an error: never run twice
                return result
        raise AssertionError("unreachable: the second attempt returns or raises")

    def run_now(self, step: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """The same step on the calling thread, on the synchronous engine (the CLI, tests)."""
        with session_scope(self.db) as session:
            return step(session, *args, **kwargs)

    async def close(self) -> None:
        """Close this loop's connections (the synchronous engine's are the caller's)."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = self._reads = None


def command_transactions(db: Engine) -> ThreadedTransactions | LoopTransactions:
    """The transactions for the steps of command replies: on the event loop on PostgreSQL, in
    worker threads on SQLite (its file locks are waits the driver can't await)."""
    return LoopTransactions(db) if db.url.get_backend_name() == "postgresql" else ThreadedTransactions(db)


def alembic_config(url: str) -> Config:
    """Return an Alembic config pointed at the project's migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(db: Engine) -> None:
    """Bring the database schema to the newest migration.

    Raises UnknownSchemaError, changing nothing, when a newer program migrated the database.
    On PostgreSQL the migration runs under an advisory lock: processes starting together
    migrate one at a time, and the later ones find the schema current."""
    with db.begin() as connection:
        migration_lock(connection)
        upgrade_in(connection)


def upgrade_in(connection: Connection) -> None:
    """The same on an open connection, inside its transaction (committed or rolled back by the caller)."""
    config = alembic_config(connection.engine.url.render_as_string(hide_password=False))
    script = ScriptDirectory.from_config(config)
    _known_revision(script, MigrationContext.configure(connection).get_current_revision())
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def schema_status(db: Engine) -> tuple[str | None, str]:
    """Return (current revision, head revision); UnknownSchemaError for a newer program's database."""
    config = alembic_config(db.url.render_as_string(hide_password=False))
    script = ScriptDirectory.from_config(config)
    with db.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    _known_revision(script, current)
    return current, script.get_current_head() or ""


def _known_revision(script: ScriptDirectory, current: str | None) -> None:
    if current is None:
        return
    try:
        known = script.get_revision(current) is not None
    except (CommandError, RevisionError):
        known = False
    if not known:
        raise UnknownSchemaError(current, script.get_current_head() or "")
