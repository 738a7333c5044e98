"""Run the real application (real python-telegram-bot, real HTTP) against the loopback Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine
from telegram import Update
from telegram.ext import Application

from bot.app import Runtime, build_application
from bot.domain.market_time import utc_now
from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from bot.settings import Settings
from bot.sources.calendar import CalendarSource
from bot.sources.sec_tickers import TickerEntry
from bot.store.companies import upsert_companies
from bot.store.db import session_scope
from tests.conftest import BOT_API_SPEC

TOKEN = "123456:TEST-TOKEN"
UNIVERSE = [
    TickerEntry("NVDA", 1045810, "NVIDIA CORP"),
    TickerEntry("MSFT", 789019, "MICROSOFT CORP"),
    TickerEntry("AAPL", 320193, "Apple Inc."),
    TickerEntry("BABA", 1577552, "Alibaba Group Holding Ltd"),
    TickerEntry("BRK-B", 1067983, "BERKSHIRE HATHAWAY INC"),
    TickerEntry("AT&T", 732717, "AT&T <Inc>"),
    TickerEntry("T", 732717, "AT&T <Inc>"),
]


@dataclass
class RunningBot:
    api: LoopbackBotApi
    application: Application
    runtime: Runtime
    db: Engine

    async def say(self, chat_id: int, text: str, *, wait: int = 1, **kwargs: Any) -> list[str]:
        """Send text as a user; return the visible texts of the replies that arrive."""
        before = len(self.api.messages_to(chat_id))
        self.api.user_sends(chat_id, text, **kwargs)
        messages = await self.api.wait_for_messages(chat_id, before + wait, timeout=10)
        return [m.visible_text for m in messages[before:]]


def seed_universe(db: Engine, entries: Sequence[TickerEntry] = UNIVERSE) -> None:
    with session_scope(db) as session:
        upsert_companies(session, entries, utc_now())


@asynccontextmanager
async def running_bot(
    db: Engine, database_url: str, *, api: LoopbackBotApi | None = None,
    sources: Sequence[CalendarSource] = (), clock: Callable[[], datetime] = utc_now,
    with_jobs: bool = False, **settings: Any,
) -> AsyncIterator[RunningBot]:
    """Start the application with polling; stop it on exit. Pass `api` to reuse a server."""
    own_api = api is None
    server = api or LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC)
    if own_api:
        await server.start()
    try:
        # time runs fast here: poll intervals below the bounds a deployment may set, past validation
        # and HTTP_PORT 0: a free port, the one bound is runtime.http_server.port
        fast = {k: settings.pop(k) for k in ("poll_active_seconds", "poll_idle_seconds", "http_port") if k in settings}
        config = Settings(
            telegram_bot_token=SecretStr(TOKEN), telegram_api_url=server.base_url,
            database_url=database_url, _env_file=None, **settings,  # type: ignore[call-arg]
        ).model_copy(update=fast)
        application, runtime = build_application(config, db=db, clock=clock, sources=list(sources),
                                                   with_jobs=with_jobs)
        async with application:
            assert application.updater is not None
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=1)
            await application.start()
            # run_polling() would call these hooks; started by hand they are ours to call
            assert application.post_init is not None and application.post_shutdown is not None
            await application.post_init(application)
            try:
                yield RunningBot(server, application, runtime, db)
            finally:
                await application.updater.stop()
                await application.stop()
                await application.post_shutdown(application)
    finally:
        if own_api:
            await server.stop()
