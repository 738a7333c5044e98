"""`earnings-bot db copy --to URL`: the per-table counts on success; one line naming `--to` or
DATABASE_URL for each mistake, with no password in it; exit 1 when the counts differ."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, select

import bot.store.copy as copying
from bot.database_copy import copy_command
from bot.settings import load_settings
from bot.store.copy import data_tables
from bot.store.db import make_engine, session_scope, upgrade
from bot.store.tables import Chat
from tests.cli.test_settings_errors import assert_one_line, run_cli

PASSWORD = "Sup3r-Secret-pw"


def _database(path: Path, *, chats: int = 0) -> str:
    url = f"sqlite:///{path}"
    db = make_engine(url)
    upgrade(db)
    with session_scope(db) as session:
        session.add_all(Chat(chat_id=7_100_000_001 + i) for i in range(chats))
    db.dispose()
    return url


def test_the_copy_prints_every_table_with_its_rows(tmp_path: Path) -> None:
    source = _database(tmp_path / "bot.sqlite3", chats=3)
    target = tmp_path / "copy" / "copy.sqlite3"
    done = run_cli("db", "copy", "--to", f"sqlite:///{target}", DATABASE_URL=source)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"copying {source} to sqlite:///{target} (schema ")
    shown = {line.split()[0]: line.split()[1] for line in lines[1:-1]}
    assert shown == {t.name: "3" if t.name == "chat" else "0" for t in data_tables()}
    assert lines[-1].startswith(f"copied {len(data_tables())} tables, 3 rows; every count matches")
    db = make_engine(f"sqlite:///{target}")
    with db.connect() as conn:
        assert conn.execute(select(Chat.__table__.c.chat_id)).scalars().all() == [7_100_000_001, 7_100_000_002,
                                                                                  7_100_000_003]
    db.dispose()


def test_a_database_that_is_not_empty_is_refused_in_one_line(tmp_path: Path) -> None:
    source = _database(tmp_path / "bot.sqlite3", chats=1)
    target = _database(tmp_path / "other.sqlite3")
    done = run_cli("db", "copy", "--to", target, DATABASE_URL=source)
    line = assert_one_line(done, "--to", "not empty")
    assert done.stdout == "", "nothing is said to be copying"
    assert "db copy fills only an empty database" in line


@pytest.mark.parametrize(("to", "says"), [
    ("nonsense", "must be postgresql+psycopg://"),
    ("mysql://u:" + PASSWORD + "@h/d", "must be postgresql+psycopg://"),
    ("postgresql+psycopg://u:" + PASSWORD + "@h:port/d", "not a database URL"),
    (f"postgres://bot:{PASSWORD}@127.0.0.1:1/earnings", "can't connect to postgresql+psycopg://bot:***@"),
    (f"postgresql+psycopg://bot:{PASSWORD}@127.0.0.1:1/earnings", "can't connect to"),
    ("sqlite:///:memory:", "in-memory"),
])
def test_a_bad_target_url_is_one_line_naming_to_without_the_password(tmp_path: Path, to: str, says: str) -> None:
    source = _database(tmp_path / "bot.sqlite3")
    done = run_cli("db", "copy", "--to", to, DATABASE_URL=source)
    assert_one_line(done, "--to", says)
    assert PASSWORD not in done.stdout + done.stderr


def test_without_to_or_with_to_elsewhere_is_one_line(tmp_path: Path) -> None:
    source = _database(tmp_path / "bot.sqlite3")
    assert_one_line(run_cli("db", "copy", DATABASE_URL=source), "--to", "needs the empty database")
    assert_one_line(run_cli("db", "upgrade", "--to", "sqlite:///x.db", DATABASE_URL=source), "--to", "db copy")


def test_a_missing_or_old_source_is_one_line_naming_database_url(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.sqlite3"
    done = run_cli("db", "copy", "--to", f"sqlite:///{tmp_path / 'copy.sqlite3'}", DATABASE_URL=f"sqlite:///{missing}")
    assert_one_line(done, "DATABASE_URL", "does not exist")
    assert not missing.exists()
    unmigrated = tmp_path / "empty.sqlite3"
    make_engine(f"sqlite:///{unmigrated}").connect().close()
    done = run_cli("db", "copy", "--to", f"sqlite:///{tmp_path / 'copy.sqlite3'}",
                   DATABASE_URL=f"sqlite:///{unmigrated}")
    assert_one_line(done, "DATABASE_URL", "db upgrade")
    newer = _database(tmp_path / "newer.sqlite3")
    db = make_engine(newer)
    with db.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    db.dispose()
    done = run_cli("db", "copy", "--to", f"sqlite:///{tmp_path / 'copy.sqlite3'}", DATABASE_URL=newer)
    assert_one_line(done, "DATABASE_URL", "newer earnings-bot")
    assert not (tmp_path / "copy.sqlite3").exists()


def test_the_same_database_as_the_source_is_refused(tmp_path: Path) -> None:
    source = _database(tmp_path / "bot.sqlite3")
    done = run_cli("db", "copy", "--to", source, DATABASE_URL=source)
    assert_one_line(done, "--to", "DATABASE_URL")


def test_counts_that_differ_exit_1_and_say_which_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault put in on purpose (one chat row lost on the way) to see the user's side of it."""
    source = _database(tmp_path / "bot.sqlite3", chats=2)
    target = tmp_path / "copy.sqlite3"
    copy_rows = copying._copy_table

    def lose_a_chat(reading: Any, writing: Any, table: Table, batch_rows: int) -> None:
        copy_rows(reading, writing, table, batch_rows)
        if table.name == "chat":
            writing.execute(table.delete().where(table.c.chat_id == 7_100_000_002))

    monkeypatch.setattr(copying, "_copy_table", lose_a_chat)
    out, err = io.StringIO(), io.StringIO()
    settings = load_settings(_env_file=None, database_url=source)
    assert copy_command(settings, f"sqlite:///{target}", out, err) == 1
    assert "chat" in out.getvalue() and "DIFFERENT: the source has 2" in out.getvalue()
    assert err.getvalue().strip().splitlines() == [
        "earnings-bot: db copy: the counts differ (chat); nothing was kept in the target"]
    db = make_engine(f"sqlite:///{target}")
    with db.connect() as conn:
        assert not conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").all()
    db.dispose()
