"""`earnings-bot db backup PATH`: a consistent copy of the SQLite database while the bot runs.

SQLite's online backup (Python's sqlite3 `backup`) copies the pages under SQLite's own locking, so
a write in progress is never half in the copy, the `-wal` file included; the copy is then checked
with `PRAGMA integrity_check`. PostgreSQL has `pg_dump` for this (docs/operations.md)."""

from __future__ import annotations

import os
import sqlite3
from typing import TextIO

from bot.settings import Settings, SettingsError

PAGES_PER_STEP = 1024  # the bot's writers get the database between steps


def backup_command(settings: Settings, path: str | None, out: TextIO) -> int:
    from bot.store.db import sqlite_file

    if not path:
        raise SettingsError("PATH: `db backup` needs the file to write, e.g. earnings-bot db backup "
                            "backups/earnings-bot.sqlite3")
    source = sqlite_file(settings.database_url)
    if source is None:
        raise SettingsError("DATABASE_URL: `db backup` copies a SQLite file; for PostgreSQL use pg_dump "
                            "(see docs/operations.md)")
    if not os.path.exists(source):
        raise SettingsError(f"DATABASE_URL: the file {os.path.abspath(source)} does not exist: nothing to back up")
    target = os.path.abspath(path)
    if os.path.exists(target):
        raise SettingsError(f"PATH: {target} already exists; name a new file (a backup never overwrites)")
    if os.path.abspath(source) == target:
        raise SettingsError("PATH: that is the database itself")
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        pages = _backup(source, target)
    except (OSError, sqlite3.Error) as exc:
        if os.path.exists(target):
            os.remove(target)
        raise SettingsError(f"PATH: can't write the backup {target} ({exc})") from None
    size = os.path.getsize(target)
    print(f"backed up {os.path.abspath(source)} to {target} ({pages} pages, {size:,} bytes; integrity ok)",
          file=out)
    return 0


def _backup(source: str, target: str) -> int:
    reading = sqlite3.connect(source, timeout=30)
    try:
        writing = sqlite3.connect(target)
        try:
            reading.backup(writing, pages=PAGES_PER_STEP)
            [(verdict,)] = writing.execute("PRAGMA integrity_check").fetchall()
            if verdict != "ok":
                raise sqlite3.DatabaseError(f"the copy fails SQLite's integrity check: {verdict}")
            [(pages,)] = writing.execute("PRAGMA page_count").fetchall()
            return int(pages)
        finally:
            writing.close()
    finally:
        reading.close()
