"""`earnings-bot db backup PATH`: SQLite's online backup of the database, what is still only in the
-wal file included, checked and usable as a database; each mistake is one line, nothing overwritten."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from bot.store.db import make_engine, session_scope, upgrade
from bot.store.tables import Chat
from tests.cli.test_settings_errors import assert_one_line, run_cli
from tests.conftest import NEWEST_SCHEMA


def _database(path: Path) -> str:
    url = f"sqlite:///{path}"
    db = make_engine(url)
    upgrade(db)
    db.dispose()
    return url


def test_the_backup_holds_what_is_still_in_the_wal_file_and_opens_as_a_database(tmp_path: Path) -> None:
    url = _database(tmp_path / "data" / "bot.sqlite3")
    db = make_engine(url)  # a running bot: its connection stays open, its writes sit in the -wal file
    with session_scope(db) as session:
        session.add_all(Chat(chat_id=7_100_000_001 + i) for i in range(5))
    shutil.copy(tmp_path / "data" / "bot.sqlite3", tmp_path / "plain-copy.sqlite3")
    with sqlite3.connect(tmp_path / "plain-copy.sqlite3") as plain:
        [(copied_chats,)] = plain.execute("SELECT count(*) FROM chat").fetchall()
    assert copied_chats == 0, "the rows are in the -wal file, not yet in the database file"

    done = run_cli("db", "backup", str(tmp_path / "backups" / "b.sqlite3"), DATABASE_URL=url)
    db.dispose()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"backed up {tmp_path / 'data' / 'bot.sqlite3'} to {tmp_path / 'backups' / 'b.sqlite3'}")
    assert "integrity ok" in done.stdout
    with sqlite3.connect(tmp_path / "backups" / "b.sqlite3") as backup:
        assert backup.execute("SELECT count(*) FROM chat").fetchall() == [(5,)]
    status = run_cli("db", "status", DATABASE_URL=f"sqlite:///{tmp_path / 'backups' / 'b.sqlite3'}")
    assert status.stdout.startswith(f"database schema: {NEWEST_SCHEMA}"), status.stdout + status.stderr


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    url = _database(tmp_path / "bot.sqlite3")
    existing = tmp_path / "keep.sqlite3"
    existing.write_text("precious", encoding="utf-8")
    assert_one_line(run_cli("db", "backup", str(existing), DATABASE_URL=url), "PATH", "already exists")
    assert existing.read_text(encoding="utf-8") == "precious"
    assert_one_line(run_cli("db", "backup", str(tmp_path / "bot.sqlite3"), DATABASE_URL=url), "PATH")


def test_mistakes_are_one_line(tmp_path: Path) -> None:
    url = _database(tmp_path / "bot.sqlite3")
    assert_one_line(run_cli("db", "backup", DATABASE_URL=url), "PATH", "needs the file")
    assert_one_line(run_cli("db", "status", "x.sqlite3", DATABASE_URL=url), "PATH", "db backup")
    assert_one_line(run_cli("db", "backup", str(tmp_path / "b.sqlite3"),
                            DATABASE_URL="postgresql+psycopg://bot:pw@127.0.0.1:1/earnings"),
                    "DATABASE_URL", "pg_dump")
    missing = tmp_path / "none.sqlite3"
    assert_one_line(run_cli("db", "backup", str(tmp_path / "b.sqlite3"), DATABASE_URL=f"sqlite:///{missing}"),
                    "DATABASE_URL", "does not exist")
    assert not missing.exists() and not (tmp_path / "b.sqlite3").exists()
