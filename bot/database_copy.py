"""`earnings-bot db copy --to URL`: the database DATABASE_URL names, copied into an empty one.

What can go wrong is one line naming `--to` or DATABASE_URL; a password in either URL is never
printed (it shows as ***)."""

from __future__ import annotations

import os
from typing import TextIO

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from bot.redaction import redact
from bot.settings import Settings, SettingsError

EXAMPLE = "postgresql+psycopg://user:password@host:5432/earnings"


def copy_command(settings: Settings, to: str | None, out: TextIO, err: TextIO) -> int:
    """Run the copy; print each table's counts; 0 when every count matches, 1 otherwise."""
    from bot.store.copy import (
        CopyError,
        CountsDiffer,
        TableCount,
        TargetNotEmpty,
        check_empty,
        copy_database,
    )
    from bot.store.db import UnknownSchemaError, make_engine, schema_status, sqlite_file

    target_url = _target_url(to)
    try:
        source_url = make_url(settings.database_url)
    except (ArgumentError, ValueError):
        raise SettingsError("DATABASE_URL: not a database URL SQLAlchemy can open") from None
    if _same_database(source_url, target_url):
        raise SettingsError("--to: names the database DATABASE_URL names; copy into another, empty one")
    path = sqlite_file(settings.database_url)
    if path is not None and not os.path.exists(path):
        raise SettingsError(f"DATABASE_URL: the file {os.path.abspath(path)} does not exist: nothing to copy")
    source = make_engine(settings.database_url, create_folder=False)
    target = _target_engine(target_url)
    try:
        try:
            current, head = schema_status(source)
        except UnknownSchemaError as exc:
            raise SettingsError(f"DATABASE_URL: the database was created by a newer earnings-bot (schema "
                                f"{exc.current}; this version knows up to {exc.head}); copy it with that "
                                "version") from None
        except SQLAlchemyError as exc:
            raise SettingsError(f"DATABASE_URL: can't read the database ({_reason(exc, source_url)})") from None
        if current != head:
            raise SettingsError(
                f"DATABASE_URL: the database is at schema {current or 'none'}, this version's newest is {head}; "
                "run `earnings-bot db upgrade` on it first")
        try:
            check_empty(target)
        except TargetNotEmpty as exc:
            raise SettingsError(f"--to: {_shown(target_url)}: {exc}") from None
        except SQLAlchemyError as exc:
            raise SettingsError(f"--to: can't connect to {_shown(target_url)} ({_reason(exc, target_url)})") from None
        print(f"copying {_shown(source_url)} to {_shown(target_url)} (schema {head})", file=out)

        def report(count: TableCount) -> None:
            verdict = "" if count.matches else f"   DIFFERENT: the source has {count.source}"
            print(f"  {count.name:<24} {count.copied:>10,} rows{verdict}", file=out)

        try:
            counts = copy_database(source, target, on_table=report)
        except CountsDiffer as exc:
            print(f"earnings-bot: db copy: {exc}", file=err)
            return 1
        except CopyError as exc:
            where = "--to" if isinstance(exc, TargetNotEmpty) else "DATABASE_URL"
            raise SettingsError(f"{where}: {exc}") from None
        except SQLAlchemyError as exc:
            raise SettingsError(f"--to: the copy into {_shown(target_url)} failed and was rolled back, "
                                f"the database is left empty ({_reason(exc, target_url, source_url)})") from None
    finally:
        source.dispose()
        target.dispose()
    rows = sum(c.copied for c in counts)
    print(f"copied {len(counts)} tables, {rows:,} rows; every count matches. "
          "Point DATABASE_URL at the copy and start the bot.", file=out)
    return 0


def _target_url(to: str | None) -> URL:
    if not to:
        raise SettingsError(f"--to: `db copy` needs the empty database to copy into, e.g. --to {EXAMPLE}")
    for alias in ("postgres://", "postgresql://"):  # as DATABASE_URL takes them: the psycopg driver
        if to.startswith(alias):
            to = "postgresql+psycopg://" + to.removeprefix(alias)
    if not to.startswith(("sqlite:///", "postgresql+psycopg://")):
        raise SettingsError(f"--to: must be postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB or "
                            f"sqlite:///PATH, e.g. {EXAMPLE}")
    try:
        url = make_url(to)
    except (ArgumentError, ValueError):  # the message may quote the URL: not shown
        raise SettingsError(f"--to: not a database URL, e.g. {EXAMPLE}") from None
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise SettingsError("--to: an in-memory SQLite database is gone when the copy ends; name a file")
    return url


def _target_engine(url: URL) -> Engine:
    from bot.store.db import make_engine

    try:
        return make_engine(url.render_as_string(hide_password=False))
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise SettingsError(f"--to: {_shown(url)} is not a database URL SQLAlchemy can open "
                            f"({type(exc).__name__}), e.g. {EXAMPLE}") from None
    except OSError as exc:  # the SQLite file's folder can't be made
        raise SettingsError(f"--to: can't create the folder for {_shown(url)} ({exc.strerror or exc})") from None


def _same_database(a: URL, b: URL) -> bool:
    if a.get_backend_name() == b.get_backend_name() == "sqlite":
        return bool(a.database and b.database) and os.path.abspath(str(a.database)) == os.path.abspath(str(b.database))
    return (a.get_backend_name(), a.host, a.port, a.database) == (b.get_backend_name(), b.host, b.port, b.database)


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _reason(exc: Exception, *urls: URL) -> str:
    """The first line of the database's error, with no password and no token in it."""
    reason = f"{type(exc).__name__}: {getattr(exc, 'orig', None) or exc}"
    for url in urls:
        if url.password:
            reason = reason.replace(str(url.password), "***")
    return redact(reason).splitlines()[0]
