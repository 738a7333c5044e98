"""A self-contained bot for the demo and the console: loopback Telegram and SEC EDGAR, a fresh
database, the replayed company universe. No token and no network."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import select
from telegram import Update
from telegram.ext import Application

from bot.app import Runtime, build_application
from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from bot.sandbox.demo.replay import DemoData, ReplayCalendar, load_demo_data
from bot.sandbox.edgar import LoopbackEdgar
from bot.settings import IsolatedSettings
from bot.sources.sec_tickers import TickerEntry
from bot.store.companies import upsert_companies
from bot.store.db import make_engine, session_scope, upgrade
from bot.store.tables import Company

SANDBOX_TOKEN = "123456:SANDBOX-TOKEN"
SANDBOX_SEC_AGENT = "Earnings bot sandbox sandbox@example.com"


class DemoClock:
    """A clock the demo moves forward; everything that asks the time asks it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


@dataclass
class Sandbox:
    api: LoopbackBotApi
    edgar: LoopbackEdgar
    application: Application
    runtime: Runtime
    db: Engine
    data: DemoData
    clock: Callable[[], datetime]


def seed_companies(db: Engine, data: DemoData, now: datetime) -> None:
    """Store the demo's companies with their reporting currency and fiscal year end."""
    with session_scope(db) as session:
        upsert_companies(session, [TickerEntry(c.ticker, c.cik, c.name) for c in data.companies], now)
        for listed in data.companies:
            company = session.exec(select(Company).where(Company.ticker == listed.ticker)).one()
            company.currency = listed.currency
            company.filer_kind = listed.filer_kind
            company.fiscal_year_end_month = listed.fiscal_year_end_month
            session.add(company)


@asynccontextmanager
async def sandbox(clock: Callable[[], datetime], *, database_url: str | None = None,
                  with_jobs: bool = False, spec_path: Path | None = None) -> AsyncIterator[Sandbox]:
    """Run the real application against the loopback Bot API server and a fresh database;
    spec_path names the api.json it checks calls against (None: its built-in spec)."""
    with tempfile.TemporaryDirectory(prefix="earnings-bot-") as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'sandbox.sqlite3'}"
        db = make_engine(url)
        upgrade(db)
        data = load_demo_data()
        seed_companies(db, data, clock())
        # Telegram's real limits, so the sandbox shows the bot living within them.
        async with LoopbackBotApi(SANDBOX_TOKEN, flood=FloodLimits(), spec_path=spec_path) as api, LoopbackEdgar() as edgar:
            settings = IsolatedSettings(
                telegram_bot_token=SecretStr(SANDBOX_TOKEN), telegram_api_url=api.base_url,
                database_url=url, sec_user_agent=SANDBOX_SEC_AGENT, sec_www_url=edgar.url,
                sec_data_url=edgar.url, finnhub_api_key=None,
                newswire_feeds=(), ir_feeds_file="none",  # the sandbox reads no real newswire or IR site
                _env_file=None,
            )
            application, runtime = build_application(
                settings, db=db, clock=clock, sources=[ReplayCalendar(data, clock)], with_jobs=with_jobs,
            )
            async with application:
                assert application.updater is not None
                await application.updater.start_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0,
                                                        timeout=1)
                await application.start()
                # run_polling() would call these hooks; started by hand they are ours to call
                assert application.post_init is not None and application.post_shutdown is not None
                await application.post_init(application)
                try:
                    yield Sandbox(api, edgar, application, runtime, db, data, clock)
                finally:
                    await application.updater.stop()
                    await application.stop()
                    await application.post_shutdown(application)
