"""Leadership: the PostgreSQL advisory lock (one holder; a lost connection frees it for another),
migrations one process at a time, and the SQLite run lock beside the database file."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from bot.store.db import make_engine, schema_status, upgrade
from bot.store.leadership import (
    AdvisoryLeaderLock,
    DatabaseInUseError,
    hold_sqlite_run_lock,
    leader_holder,
    process_label,
    sqlite_lock_path,
    sqlite_run_holder,
)
from tests.conftest import PG_URL

postgres_only = pytest.mark.skipif(not PG_URL.startswith("postgresql"), reason="needs TEST_DATABASE_URL on PostgreSQL")


@postgres_only
def test_one_process_leads_and_a_standby_takes_over_when_its_connection_dies(db: Engine) -> None:
    first, second = AdvisoryLeaderLock(db), AdvisoryLeaderLock(db)
    try:
        assert first.try_acquire() is True
        assert second.try_acquire() is False
        assert first.still_held() is True
        assert leader_holder(db) == process_label()

        # what a SIGKILL does: the lock's connection ends, the server frees the lock at once
        with db.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name "
                "AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)"),
                {"name": f"earnings-bot {process_label()}"})
            connection.commit()
        assert first.still_held() is False
        assert second.try_acquire() is True
        assert first.try_acquire() is False  # it reconnects, and finds the lock taken
    finally:
        first.release()
        second.release()
    assert leader_holder(db) is None


@postgres_only
def test_a_clean_release_frees_the_lock_at_once(db: Engine) -> None:
    first, second = AdvisoryLeaderLock(db), AdvisoryLeaderLock(db)
    try:
        assert first.try_acquire()
        first.release()
        assert second.try_acquire()
    finally:
        second.release()


@postgres_only
def test_processes_migrating_together_take_turns(tmp_path: Path) -> None:
    import uuid

    name = f"earnings_migrate_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    errors: list[BaseException] = []

    def migrate() -> None:
        engine = make_engine(url)
        try:
            upgrade(engine)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            engine.dispose()

    try:
        threads = [threading.Thread(target=migrate) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert errors == []
        engine = make_engine(url)
        current, head = schema_status(engine)
        engine.dispose()
        assert current == head
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_second_holder_of_the_sqlite_run_lock_is_refused_naming_the_first(tmp_path: Path) -> None:
    database = str(tmp_path / "data" / "bot.sqlite3")
    assert sqlite_run_holder(database) is None
    held = hold_sqlite_run_lock(database)
    assert held is not None
    try:
        assert sqlite_lock_path(database) == tmp_path / "data" / "bot.sqlite3.lock"
        assert sqlite_run_holder(database) == process_label()
        with pytest.raises(DatabaseInUseError, match=process_label()):
            hold_sqlite_run_lock(database)
    finally:
        held.close()
    assert sqlite_run_holder(database) is None
    hold_sqlite_run_lock(database).close()  # type: ignore[union-attr]


def test_the_sqlite_run_lock_ends_with_its_process_even_a_killed_one(tmp_path: Path) -> None:
    database = str(tmp_path / "bot.sqlite3")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from bot.store.leadership import hold_sqlite_run_lock; "
         f"h = hold_sqlite_run_lock({database!r}); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert sqlite_run_holder(database) == f"{process_label().split(':')[0]}:{holder.pid}"
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert sqlite_run_holder(database) is None
