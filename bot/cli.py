"""Command line: `earnings-bot run | demo | console | db upgrade | sync | extract`.

Every sub-command name is a public interface.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence

from bot.settings import Settings, SettingsError, load_settings
from bot.sources.http import quiet_http_logs, redact

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="earnings-bot", description="Telegram earnings alerts.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="run the bot (needs TELEGRAM_BOT_TOKEN)")
    commands.add_parser("demo", help="replay February 2025 reports through the bot; no token, no network")
    commands.add_parser("console", help="talk to the bot in this terminal; no token, no network")
    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "status"])
    sync = commands.add_parser("sync", help="fetch the calendar for watched companies once")
    sync.add_argument("--days", type=int, default=28, help="days ahead (default 28)")
    extract = commands.add_parser("extract", help="print the figures of one press release as JSON")
    extract.add_argument("target", metavar="PATH_OR_URL")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except SettingsError as exc:
        print(f"earnings-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        _configure_logging("ERROR")
        from bot.demo.runner import run_demo

        return asyncio.run(run_demo(sys.stdout))
    if args.command == "console":
        _configure_logging("ERROR")
        from bot.demo.console import run_console

        return asyncio.run(run_console(sys.stdin, sys.stdout))
    if args.command == "extract":
        _configure_logging("WARNING")
        return _extract(args.target)
    settings = load_settings()
    _configure_logging(settings.log_level)
    if args.command == "db":
        return _db(settings, args.action)
    if args.command == "sync":
        return asyncio.run(_sync(settings, args.days))
    return _run(settings)


def _db(settings: Settings, action: str) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store.db import schema_status, upgrade

    engine = _open_engine(settings)
    try:
        if action == "upgrade":
            upgrade(engine)
        current, head = schema_status(engine)
    except SQLAlchemyError as exc:
        raise SettingsError(f"DATABASE_URL: can't open or upgrade the database ({_db_error(exc)})") from None
    print(f"database schema: {current or 'empty'} (newest: {head})")
    return 0


def _open_engine(settings: Settings):  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from bot.store.db import make_engine

    try:
        return make_engine(settings.database_url)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise SettingsError(f"DATABASE_URL: not a database URL SQLAlchemy can open ({type(exc).__name__})") from None


def _db_error(exc: Exception) -> str:
    return redact(f"{type(exc).__name__}: {getattr(exc, 'orig', None) or exc}").splitlines()[0]


def _prepare_database(settings: Settings):  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store.db import schema_status, upgrade

    engine = _open_engine(settings)
    try:
        upgrade(engine)
        current, head = schema_status(engine)
    except SQLAlchemyError as exc:
        raise SettingsError(f"DATABASE_URL: can't open or upgrade the database ({_db_error(exc)})") from None
    if current != head:
        raise SettingsError(f"DATABASE_URL: schema is at {current}, expected {head}; run `earnings-bot db upgrade`")
    return engine


def _run(settings: Settings) -> int:
    settings.bot_token  # noqa: B018 - fail fast with the setting's name
    from telegram.error import InvalidToken

    from bot.app import build_application, run_polling

    engine = _prepare_database(settings)
    application, _services = build_application(settings, engine=engine)
    try:
        run_polling(application)
    except InvalidToken:
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN: Telegram rejected the token; copy it again from @BotFather"
        ) from None
    return 0


async def _sync(settings: Settings, days: int) -> int:
    from datetime import timedelta

    from bot.app import calendar_sources
    from bot.domain.market_time import new_york_date, utc_now
    from bot.engine.poll import CalendarPoller, watched_companies
    from bot.engine.universe import refresh_universe
    from bot.sources.http import make_client
    from bot.store.db import session_scope

    engine = _prepare_database(settings)
    async with make_client() as client:
        await refresh_universe(engine, client, settings, utc_now)
        poller = CalendarPoller(engine, calendar_sources(settings, client))
        with session_scope(engine) as session:
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
    from bot.sources.edgar.press_release import run_extract

    try:
        result = asyncio.run(run_extract(target, user_agent=os.environ.get("SEC_USER_AGENT")))
    except (OSError, ValueError, BotError) as exc:
        print(f"earnings-bot extract: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
