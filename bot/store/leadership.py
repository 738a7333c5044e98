"""Who leads: a PostgreSQL advisory lock on a connection of its own, or, on SQLite, one process only.

    lock = AdvisoryLeaderLock(engine)      # PostgreSQL: any number of processes, one leader
    lock.try_acquire()                     # True: this process leads until still_held() says False
    lock.still_held()                      # False once the lock's connection is gone: step down

PostgreSQL releases a session's advisory locks when its connection ends, so a leader killed with
SIGKILL frees the lock at once (the kernel closes its socket); a leader cut off from the database
notices within the keepalive time and steps down. On SQLite a second `run` on the same file is
refused: `hold_sqlite_run_lock` takes an exclusive lock on a file beside the database, held until
the process ends (the kernel drops it on any exit, SIGKILL included).
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

# Advisory lock keys (bigint), one namespace per purpose: the leader, and schema migrations.
LEADER_LOCK_KEY = 0x6561_726E_0001
MIGRATION_LOCK_KEY = 0x6561_726E_0002
APPLICATION_NAME = "earnings-bot"
# libpq keepalives: a dead network path to the database is noticed within about 10 s.
_CONNECT_ARGS = {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
                 "keepalives_count": 2}


def process_label() -> str:
    """This process as other processes see it: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


class AdvisoryLeaderLock:
    """The leader's advisory lock, held on a connection no pool shares (not thread-safe: one
    caller at a time, from a worker thread)."""

    def __init__(self, db: Engine, *, key: int = LEADER_LOCK_KEY) -> None:
        self.key = key
        connect_args: dict[str, Any] = {**_CONNECT_ARGS, "application_name": f"{APPLICATION_NAME} {process_label()}"}
        self._engine = create_engine(db.url, poolclass=NullPool, connect_args=connect_args)
        self._connection: Connection | None = None
        self.held = False

    def try_acquire(self) -> bool:
        """Take the lock if no other process holds it; True when this process now leads."""
        try:
            if self._connection is None:
                self._connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self.held = bool(self._connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar())
        except SQLAlchemyError as exc:
            logger.warning("leader lock: database unreachable (%s)", type(getattr(exc, "orig", exc)).__name__)
            self._drop()
        return self.held

    def still_held(self) -> bool:
        """Ask the database whether this connection still holds the lock; False (and the
        connection dropped) when the connection is gone."""
        if self._connection is None or not self.held:
            return False
        try:
            count = self._connection.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid() AND classid = :high AND objid = :low AND objsubid = 1"),
                {"high": self.key >> 32, "low": self.key & 0xFFFF_FFFF}).scalar()
        except SQLAlchemyError as exc:
            logger.warning("leader lock: its connection is gone (%s)", type(getattr(exc, "orig", exc)).__name__)
            self._drop()
            return False
        self.held = bool(count)
        return self.held

    def processes(self) -> int:
        """Return how many bot processes are connected to the database (each keeps its lock
        connection open, leader or standby); 0 when that can't be told now."""
        if self._connection is None:
            return 0
        try:
            return int(self._connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name LIKE :prefix"), {"prefix": f"{APPLICATION_NAME} %"}).scalar() or 0)
        except SQLAlchemyError:
            self._drop()
            return 0

    def release(self) -> None:
        """Give the lock up and close its connection (a clean stop: a standby takes over at once)."""
        if self._connection is not None and self.held:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            except SQLAlchemyError:
                pass  # closing the connection below releases it anyway
        self._drop()
        self._engine.dispose()

    def _drop(self) -> None:
        self.held = False
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except SQLAlchemyError:
                connection.invalidate()


def leader_holder(db: Engine, *, key: int = LEADER_LOCK_KEY) -> str | None:
    """Return who holds the leader lock ("host:pid" of that process), or None when nobody does."""
    with db.connect() as connection:
        row = connection.execute(text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :high AND l.objid = :low "
            "AND l.objsubid = 1"), {"high": key >> 32, "low": key & 0xFFFF_FFFF}).first()
    if row is None:
        return None
    name = str(row[0] or "")
    return name.removeprefix(APPLICATION_NAME).strip() or "another process"


def migration_lock(connection: Connection, *, key: int = MIGRATION_LOCK_KEY) -> None:
    """Wait for the migration lock in the connection's transaction (PostgreSQL; released at its
    end): processes starting together migrate one at a time, and the later ones find it done."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


class DatabaseInUseError(Exception):
    """Another process runs the bot on this SQLite file."""


def sqlite_lock_path(database_path: str) -> Path:
    """The lock file beside a SQLite database: `bot.sqlite3` -> `bot.sqlite3.lock`."""
    path = Path(database_path).absolute()
    return path.with_name(path.name + ".lock")


def hold_sqlite_run_lock(database_path: str) -> IO[str] | None:
    """Lock the file beside the database for as long as the process runs; return it (keep it
    open). DatabaseInUseError when another process holds it. None where file locks are not
    available (not Linux, macOS or BSD): the check is skipped there."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    lock_path = sqlite_lock_path(database_path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held until the process ends
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        raise DatabaseInUseError(holder or "another process") from None
    handle.seek(0)
    handle.truncate()
    handle.write(process_label() + "\n")
    handle.flush()
    return handle


def sqlite_run_holder(database_path: str) -> str | None:
    """Return who runs the bot on this SQLite file ("host:pid"), or None when no process does."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    lock_path = sqlite_lock_path(database_path)
    if not lock_path.exists():
        return None
    with open(lock_path, encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return handle.read().strip() or "another process"
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return None
