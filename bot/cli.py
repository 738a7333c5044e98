"""Command line: `earnings-bot run | status | demo | console | db upgrade|status|copy|backup | sync |
extract | expectations import FILE | expectations export`.

Every sub-command name is a public interface.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from bot.catalog import CatalogError, catalog
from bot.cli_expectations import add_expectations_parser, run_expectations
from bot.kpis import KpiError, load_kpis
from bot.redaction import redact
from bot.settings import Settings, SettingsError, load_settings
from bot.sources.http import quiet_http_logs

if TYPE_CHECKING:
    from sqlalchemy import Engine

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
SYNC_MAX_DAYS = 366

# `run` checks that the Bot API answers before it starts: a first retry after this many seconds,
# doubling up to the cap, until the give-up time has passed.
TELEGRAM_FIRST_RETRY_SECONDS = 2.0
TELEGRAM_MAX_RETRY_SECONDS = 60.0
TELEGRAM_GIVE_UP_SECONDS = 300.0
TOKEN_REJECTED = "TELEGRAM_BOT_TOKEN: Telegram rejected the token; copy it again from @BotFather"

logger = logging.getLogger("bot.cli")


class _RedactingFormatter(logging.Formatter):
    """Remove bot tokens and API keys from every log line and traceback, whoever logs them
    (python-telegram-bot logs its base URL, token included, at DEBUG; httpx errors carry URLs)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _NoTracebackForRejectedToken(logging.Filter):
    """python-telegram-bot logs a rejected token with a traceback; the one line main() prints is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        from telegram.error import InvalidToken

        if record.exc_info and isinstance(record.exc_info[1], InvalidToken):
            record.exc_info, record.exc_text = None, None
        return True


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(_RedactingFormatter(LOG_FORMAT))
        handler.addFilter(_NoTracebackForRejectedToken())
    quiet_http_logs()
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # Alembic reports every migration step at INFO: useful when debugging, noise otherwise
    logging.getLogger("alembic").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = 0
    if not 1 <= days <= SYNC_MAX_DAYS:
        raise argparse.ArgumentTypeError(f"must be a whole number of days from 1 to {SYNC_MAX_DAYS}, not {value!r}")
    return days


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="earnings-bot", description="Telegram earnings alerts.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="run the bot (needs TELEGRAM_BOT_TOKEN)")
    commands.add_parser("status", help="is the bot healthy? what /healthz says; exit 1 when not")
    commands.add_parser("demo", help="replay February 2025 reports through the bot; no token, no network")
    commands.add_parser("console", help="talk to the bot in this terminal; no token, no network")
    db = commands.add_parser("db", help="database schema; copy into another database")
    db.add_argument("action", choices=["upgrade", "status", "copy", "backup"])
    db.add_argument("path", nargs="?", metavar="PATH", help="db backup: the new file to write the SQLite copy to")
    db.add_argument("--to", metavar="URL", help="db copy: the EMPTY database to copy DATABASE_URL's into, "
                    "e.g. postgresql+psycopg://user:password@host:5432/earnings")
    sync = commands.add_parser("sync", help="fetch the calendar for watched companies once")
    sync.add_argument("--days", type=_days, default=28, help=f"days ahead, 1 to {SYNC_MAX_DAYS} (default 28)")
    extract = commands.add_parser("extract", help="print the figures of one press release as JSON")
    extract.add_argument("target", metavar="PATH_OR_URL")
    add_expectations_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    try:
        catalog()  # config/catalog.toml: read and validated before anything runs
        return _dispatch(args)
    except (SettingsError, CatalogError, KpiError) as exc:
        print(f"earnings-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        _configure_logging("ERROR")
        from bot.sandbox.demo.runner import run_demo

        return asyncio.run(run_demo(sys.stdout))
    if args.command == "console":
        _configure_logging("ERROR")
        from bot.sandbox.demo.console import run_console

        return asyncio.run(run_console(sys.stdin, sys.stdout))
    if args.command == "extract":
        _configure_logging("WARNING")
        return _extract(args.target)
    settings = load_settings()
    _configure_logging(settings.log_level)
    if args.command == "run":
        _require_run_settings(settings)
    if args.command == "db" and args.action == "copy":
        from bot.database_copy import copy_command

        return copy_command(settings, args.to, sys.stdout, sys.stderr)
    if args.command == "db" and args.action == "backup":
        from bot.database_backup import backup_command

        return backup_command(settings, args.path, sys.stdout)
    if args.command == "db":
        if args.to is not None:
            raise SettingsError(f"--to goes with `db copy` only, not `db {args.action}`")
        if args.path is not None:
            raise SettingsError(f"PATH goes with `db backup` only, not `db {args.action}`")
        return _db(settings, args.action)
    if args.command == "sync":
        return asyncio.run(_sync(settings, args.days))
    if args.command == "expectations":
        return run_expectations(args, _prepare_database(settings), load_kpis(settings.kpis_file))
    if args.command == "status":
        from bot.healthcheck import print_status

        return print_status(settings, sys.stdout)
    return _run(settings)


def _db(settings: Settings, action: str) -> int:
    from bot.store.db import schema_status, sqlite_file, upgrade

    path = sqlite_file(settings.database_url)
    if action == "status" and path is not None and not os.path.exists(path):
        # looking creates nothing: neither the file nor its folder
        print(f"database schema: none yet: {path} does not exist (`earnings-bot db upgrade` creates it)")
        return 0
    db = _open_engine(settings, create_folder=action == "upgrade")
    with _database_errors(path):
        if action == "upgrade":
            upgrade(db)
        current, head = schema_status(db)
    print(f"database schema: {current or 'empty'} (newest: {head})")
    return 0


def _open_engine(settings: Settings, *, create_folder: bool = True) -> Engine:
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from bot.store.db import make_engine, sqlite_file

    path = sqlite_file(settings.database_url)
    if path is not None and create_folder:
        folder = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise SettingsError(
                f"DATABASE_URL: can't create the folder {folder} for the database ({exc.strerror or exc})"
            ) from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise SettingsError(f"DATABASE_URL: the folder {folder} is not writable, so the database can't be saved")
    try:
        return make_engine(settings.database_url, create_folder=False)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise SettingsError(f"DATABASE_URL: not a database URL SQLAlchemy can open ({type(exc).__name__})") from None


class _database_errors:  # noqa: N801 - used as a `with` statement
    """Turn what opening or migrating the database raises into one line naming DATABASE_URL."""

    def __init__(self, sqlite_path: str | None) -> None:
        self.where = f" file {os.path.abspath(sqlite_path)}" if sqlite_path else ""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: BaseException | None, _tb: object) -> Literal[False]:
        from sqlalchemy.exc import SQLAlchemyError

        from bot.store.db import UnknownSchemaError

        if isinstance(exc, UnknownSchemaError):
            raise SettingsError(
                f"DATABASE_URL: the database was created by a newer earnings-bot (schema {exc.current}; "
                f"this version knows up to {exc.head}); upgrade earnings-bot or use another database"
            ) from None
        if isinstance(exc, SQLAlchemyError):
            raise SettingsError(
                f"DATABASE_URL: can't open or upgrade the database{self.where} ({_db_error(exc)})"
            ) from None
        return False


def _db_error(exc: Exception) -> str:
    return redact(f"{type(exc).__name__}: {getattr(exc, 'orig', None) or exc}").splitlines()[0]


def _prepare_database(settings: Settings) -> Engine:
    from bot.store.db import schema_status, sqlite_file, upgrade

    db = _open_engine(settings)
    with _database_errors(sqlite_file(settings.database_url)):
        upgrade(db)
        current, head = schema_status(db)
    if current != head:
        raise SettingsError(f"DATABASE_URL: schema is at {current}, expected {head}; run `earnings-bot db upgrade`")
    return db


def _require_run_settings(settings: Settings) -> None:
    """`run` stops at start, before it touches anything, when a setting it needs is missing."""
    settings.bot_token  # noqa: B018 - fail fast with the setting's name
    load_kpis(settings.kpis_file)  # config/kpis.toml and KPIS_FILE: a mistake is one line at start
    if not settings.sec_user_agent:
        raise SettingsError(
            "SEC_USER_AGENT is not set: `run` needs it to know tickers and filings; put your name and "
            "contact e-mail in .env, e.g. SEC_USER_AGENT=Jane Doe jane@example.com"
        )
    if settings.telegram_webhook_url and settings.telegram_webhook_secret is None:
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET is not set: webhook mode (TELEGRAM_WEBHOOK_URL) needs the "
                            "secret Telegram sends with each update; 1-256 letters, digits, _ or -")
    if settings.telegram_webhook_url and settings.http_port is None:
        raise SettingsError("HTTP_PORT is not set: webhook mode (TELEGRAM_WEBHOOK_URL) needs the port the bot "
                            "listens on for /telegram/webhook, e.g. HTTP_PORT=8080")


def _run(settings: Settings) -> int:
    from telegram.error import InvalidToken

    from bot.app import build_application, run_bot

    run_lock = _hold_run_lock(settings)  # noqa: F841 - held open until the process ends
    db = _prepare_database(settings)
    _reach_redis(settings)
    asyncio.run(_reach_telegram(settings))
    application, _runtime = build_application(settings, db=db)
    try:
        run_bot(application)
    except InvalidToken:
        raise SettingsError(TOKEN_REJECTED) from None
    return 0


def _reach_redis(settings: Settings) -> None:
    """With REDIS_URL, the shared send rate lives there: a Redis that does not answer stops `run`."""
    if settings.redis_url is None:
        return
    import redis

    from bot.delivery.budget import RedisLedger

    try:
        ledger = RedisLedger(settings.redis_url.get_secret_value())
    except ValueError:  # redis-py could not read it; its words may quote the URL
        raise SettingsError("REDIS_URL: is not a URL redis can read (redis://HOST:PORT/DB)") from None
    try:
        ledger.check()
    except redis.AuthenticationError:
        raise SettingsError(f"REDIS_URL: Redis at {settings.redis_address} refused the password") from None
    except (redis.ReadOnlyError, redis.exceptions.NoPermissionError, redis.ResponseError) as exc:
        raise SettingsError(f"REDIS_URL: Redis at {settings.redis_address} refused the send budget's "
                            f"script ({type(exc).__name__}): it needs a writable primary and EVALSHA, "
                            "EVAL and SET for this user") from None
    except redis.RedisError as exc:
        raise SettingsError(f"REDIS_URL: Redis at {settings.redis_address} does not answer "
                            f"({type(exc).__name__}); is it running?") from None
    finally:
        ledger.close()


def _hold_run_lock(settings: Settings) -> object | None:
    """On SQLite, refuse a second `run` on the same file (one line, exit 1); return the lock,
    which lasts as long as it is referenced (the process)."""
    from bot.store.db import sqlite_file
    from bot.store.leadership import DatabaseInUseError, hold_sqlite_run_lock, sqlite_lock_path

    path = sqlite_file(settings.database_url)
    if path is None:
        return None
    where = os.path.abspath(path)
    _open_engine(settings).dispose()  # the folder exists and is writable, or one line says why
    try:
        return hold_sqlite_run_lock(path)
    except DatabaseInUseError as exc:
        raise SettingsError(
            f"DATABASE_URL: another earnings-bot run (process {exc}) is using the SQLite database {where}; "
            "stop it first (several processes need PostgreSQL)") from None
    except OSError as exc:
        raise SettingsError(f"DATABASE_URL: can't lock {sqlite_lock_path(path)} beside the database "
                            f"({exc.strerror or exc})") from None


async def _reach_telegram(settings: Settings) -> None:
    """Ask the Bot API who the bot is (getMe) until it answers: one log line per failed attempt,
    retries with exponential backoff, and a SettingsError once TELEGRAM_GIVE_UP_SECONDS have passed."""
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
    from telegram.request import HTTPXRequest

    from bot.app import _request_kwargs

    url = settings.telegram_api_url
    started = time.monotonic()
    delay = TELEGRAM_FIRST_RETRY_SECONDS
    attempt = 0
    while True:
        attempt += 1
        bot = Bot(settings.bot_token, base_url=f"{url}/bot",
                  request=HTTPXRequest(**_request_kwargs(settings)))
        try:
            async with bot:  # initialize() calls getMe
                return
        except InvalidToken:
            raise SettingsError(TOKEN_REJECTED) from None
        except (NetworkError, RetryAfter) as exc:
            reason = redact(str(exc) or type(exc).__name__).splitlines()[0]
        except TelegramError as exc:
            reason = redact(str(exc) or type(exc).__name__).splitlines()[0]
            raise SettingsError(f"TELEGRAM_API_URL: the Bot API at {url} refused getMe ({reason})") from None
        elapsed = time.monotonic() - started
        if elapsed + delay > TELEGRAM_GIVE_UP_SECONDS:
            raise SettingsError(
                f"TELEGRAM_API_URL: can't reach the Bot API at {url}; gave up after {attempt} attempts "
                f"in {elapsed:.0f} s ({reason})"
            )
        logger.warning("TELEGRAM_API_URL: can't reach the Bot API at %s (attempt %d: %s); trying again in %s s",
                       url, attempt, reason, f"{delay:g}")
        await asyncio.sleep(delay)
        delay = min(delay * 2, TELEGRAM_MAX_RETRY_SECONDS)


async def _sync(settings: Settings, days: int) -> int:
    from datetime import timedelta

    from bot.app import calendar_sources
    from bot.delivery.publisher import OutboxPublisher
    from bot.domain.market_time import new_york_date, utc_now
    from bot.engine.poll import CalendarPoller, watched_companies
    from bot.engine.universe import refresh_universe
    from bot.sources.edgar.client import sec_rate_limiter
    from bot.sources.http import make_client
    from bot.store.db import ThreadedTransactions, session_scope

    db = _prepare_database(settings)
    transactions = ThreadedTransactions(db)
    sec_limiter = sec_rate_limiter(settings.sec_rate_per_second)
    async with make_client() as client:
        await refresh_universe(transactions, client, settings, utc_now, limiter=sec_limiter)
        poller = CalendarPoller(transactions, calendar_sources(settings, client), outbox=OutboxPublisher())
        with session_scope(db) as session:
            tickers = sorted(c.ticker for c in watched_companies(session))
        today = new_york_date(utc_now())
        outcome = await poller.poll(today - timedelta(days=3), today + timedelta(days=days), tickers, mode="full")
    print(f"synced {len(tickers)} watched companies: {outcome.rows} calendar rows, {outcome.alerts} alerts")
    for error in outcome.errors:
        print(f"  source error: {error}", file=sys.stderr)
    return 1 if outcome.errors and not outcome.rows else 0


def _extract(target: str) -> int:
    import os

    from bot.errors import BotError
    from bot.sources.edgar.client import sec_rate_limiter
    from bot.sources.edgar.press_release import run_extract

    try:
        result = asyncio.run(run_extract(target, user_agent=os.environ.get("SEC_USER_AGENT"),
                                         limiter=sec_rate_limiter()))
    except (OSError, ValueError, BotError) as exc:
        print(f"earnings-bot extract: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
