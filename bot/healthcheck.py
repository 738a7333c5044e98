"""`earnings-bot status`: the facts /healthz serves, for a terminal; exit 1 when unhealthy."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from bot.domain.market_time import as_utc, utc_now
from bot.engine.health import HealthReport, unreachable
from bot.engine.status import RACE_TITLE, race_report
from bot.http_server import database_error, read_health
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

NO_LEADER = "none: no earnings-bot run is running"


def print_status(settings: Settings, out: TextIO) -> int:
    """Print the health of the bot's database, sources and sender; return 0 healthy, 1 not."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from bot.store.db import make_engine, sqlite_file

    now = utc_now()
    race: list[str] = []
    path = sqlite_file(settings.database_url)
    try:
        # the file is looked for first: connecting to a missing one would create it
        if path is not None and not os.path.exists(path):
            raise FileNotFoundError(f"the file {os.path.abspath(path)} does not exist")
        db = make_engine(settings.database_url, create_folder=False)
    except FileNotFoundError as exc:
        report = unreachable(now, str(exc), None)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        report = unreachable(now, database_error(exc), None)
    else:
        try:
            report = read_health(db, now=now, poll_idle_seconds=settings.poll_idle_seconds, role=None)
            race = race_lines(db, now) if report.database_reachable else []
            if report.database_reachable:
                report = replace(report, leader=_leader(db, path))
        finally:
            db.dispose()
    for line in [*describe(report), *race]:
        print(line, file=out)
    return 0 if report.healthy else 1


def race_lines(db: Engine, now: datetime) -> list[str]:
    """The lines /status shows about the race (each source first n/m, median lag, over 30 days)
    and the stale feeds, as plain text."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store.db import session_scope

    try:
        with session_scope(db) as session:
            race, stale = race_report(session, now=now)
    except (SQLAlchemyError, OSError):
        return []  # the health lines above already tell what is wrong with the database
    lines = [f"{RACE_TITLE}:", *(f"  {line.text()}" for line in race)] if race else []
    return lines + [f"feed {feed.name}: stale: {feed.reason}" for feed in stale]


def _leader(db: Engine, sqlite_path: str | None) -> str:
    """Who leads: the process holding PostgreSQL's leader lock, or the SQLite file's run lock."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store.leadership import leader_holder, sqlite_run_holder

    if sqlite_path is not None:
        holder = sqlite_run_holder(sqlite_path)
    elif db.dialect.name == "postgresql":
        try:
            holder = leader_holder(db)
        except SQLAlchemyError:
            return "unknown"
    else:
        return "unknown"
    return f"process {holder}" if holder else NO_LEADER


def describe(report: HealthReport) -> list[str]:
    """The report as lines for a terminal."""
    now = report.checked_at
    who = report.role or report.leader or ("unknown" if not report.database_reachable else NO_LEADER)
    label = "role" if report.role else "leader"
    lines = [f"earnings-bot: {'healthy' if report.healthy else 'UNHEALTHY'} ({label}: {who})"]
    lines += [f"  problem: {problem}" for problem in report.problems]
    if not report.database_reachable:
        lines.append("database: unreachable")
        return lines
    lines.append("database: reachable")
    lines.append(f"sender lag: {report.sender_lag_seconds:.0f} s (the oldest due message's wait)")
    lines.append(f"last poll: {_when(report.last_poll_at, now)}; companies watched: {report.watched_companies}")
    for source in report.sources:
        line = f"source {source.key}: last success {_when(source.last_success_at, now)}"
        if source.last_error:
            line += f"; last error: {source.last_error}"
        if source.backing_off_until:
            line += f"; backing off until {as_utc(source.backing_off_until):%Y-%m-%d %H:%M:%S} UTC"
        lines.append(line)
    return lines


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = max((as_utc(now) - as_utc(moment)).total_seconds(), 0)
    ago = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"
    return f"{as_utc(moment):%Y-%m-%d %H:%M:%S} UTC ({ago} ago)"
