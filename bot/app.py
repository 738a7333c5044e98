"""Composition root: build(settings) wires the store, sources, engine, sender and Telegram.

Nothing is built at import time; tests, the demo and the console pass their own parts in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlparse

import httpx
from sqlalchemy import Engine
from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults
from telegram.request import HTTPXRequest

from bot.delivery.sender import Sender
from bot.delivery.transport import AiohttpRequest
from bot.domain.market_time import utc_now
from bot.engine.detect import EdgarDetector
from bot.engine.poll import CalendarPoller
from bot.engine.status import status_report
from bot.scheduler import schedule_jobs
from bot.settings import Settings
from bot.sources.calendar import CalendarSource
from bot.sources.edgar.client import EdgarClient
from bot.sources.finnhub import FinnhubCalendar
from bot.sources.http import RateLimiter, make_client
from bot.sources.nasdaq import NasdaqCalendar
from bot.store.db import make_engine
from bot.telegram import register
from bot.telegram.commands import UserCommands

logger = logging.getLogger(__name__)


@dataclass
class Services:
    """The long-lived parts of a running bot, opened in post_init and closed in post_shutdown."""

    settings: Settings
    engine: Engine
    clock: Callable[[], datetime]
    poller: CalendarPoller
    http: httpx.AsyncClient | None = None
    sender: Sender | None = None
    detector: EdgarDetector | None = None
    sender_bot: Bot | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def wake_sender(self) -> None:
        """Tell the sender that new deliveries are waiting."""
        self.wake.set()


def calendar_sources(settings: Settings, client: httpx.AsyncClient) -> list[CalendarSource]:
    """Return the calendar providers the settings allow: Nasdaq always, Finnhub with a key."""
    sources: list[CalendarSource] = [NasdaqCalendar(client, settings.nasdaq_api_url, limiter=RateLimiter(1.0))]
    if settings.finnhub_key:
        sources.append(
            FinnhubCalendar(client, settings.finnhub_api_url, settings.finnhub_key, limiter=RateLimiter(1.0))
        )
    return sources


def edgar_detector(
    settings: Settings, engine: Engine, http: httpx.AsyncClient, clock: Callable[[], datetime],
    on_alerts: Callable[[], None],
) -> EdgarDetector | None:
    """Return the EDGAR detector, or None (with a warning) when SEC_USER_AGENT is not set."""
    if not settings.sec_user_agent:
        logger.warning("SEC EDGAR (company list, filings) is off: set SEC_USER_AGENT to your name and "
                       "e-mail, e.g. 'Jane Doe jane@example.com'")
        return None
    client = EdgarClient(http, settings.sec_www_url, settings.sec_data_url, settings.sec_user_agent,
                         RateLimiter(settings.sec_rate_per_second))
    return EdgarDetector(engine, client, active_seconds=settings.poll_active_seconds,
                         idle_seconds=settings.poll_idle_seconds, clock=clock, on_alerts=on_alerts)


def _is_loopback(url: str) -> bool:
    return (urlparse(url).hostname or "") in {"127.0.0.1", "localhost", "::1"}


def _request_kwargs(settings: Settings) -> dict[str, object]:
    """Keep proxies from the environment away from a Bot API server on this machine."""
    return {"httpx_kwargs": {"trust_env": False}} if _is_loopback(settings.telegram_api_url) else {}


def build_application(
    settings: Settings, *, engine: Engine | None = None, clock: Callable[[], datetime] = utc_now,
    sources: Sequence[CalendarSource] | None = None, http: httpx.AsyncClient | None = None,
    with_jobs: bool = True,
) -> tuple[Application, Services]:
    """Build the python-telegram-bot Application and the services behind it."""
    engine = engine or make_engine(settings.database_url)
    http = http or make_client()
    services = Services(settings=settings, engine=engine, clock=clock, http=http,
                        poller=CalendarPoller(engine, [], clock=clock))
    services.poller.sources = list(sources) if sources is not None else calendar_sources(settings, http)
    services.poller.on_alerts = services.wake_sender
    services.detector = edgar_detector(settings, engine, http, clock, services.wake_sender)
    request_kwargs = _request_kwargs(settings)
    application = (
        ApplicationBuilder()
        .token(settings.bot_token)
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        .request(HTTPXRequest(connection_pool_size=64, **request_kwargs))  # type: ignore[arg-type]
        .get_updates_request(HTTPXRequest(read_timeout=40, **request_kwargs))  # type: ignore[arg-type]
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        # Command replies: python-telegram-bot's limiter waits out a 429 and retries. Alerts go
        # through the Sender, which has its own throttle and its own Bot (see _post_init).
        .rate_limiter(AIORateLimiter(overall_max_rate=settings.telegram_rate_per_second, max_retries=3))
        .post_init(lambda app: _post_init(app, services, with_jobs=with_jobs))
        .post_shutdown(lambda app: _post_shutdown(app, services))
        .build()
    )
    commands = UserCommands(
        engine, clock=clock, admin_chat_ids=settings.admin_chat_ids,
        status_text=lambda: status_report(engine, settings, clock()),
    )
    register.add_handlers(application, commands, services)
    return application, services


async def _post_init(application: Application, services: Services, *, with_jobs: bool) -> None:
    await application.bot.set_my_commands([BotCommand(name, text) for name, text in register.COMMAND_MENU])
    # Alerts go out on their own Bot over aiohttp: httpx's pool costs too much CPU per request
    # for the 1000 messages a second paid broadcast allows (docs/performance.md).
    sender_bot = Bot(
        services.settings.bot_token, base_url=f"{services.settings.telegram_api_url}/bot",
        request=AiohttpRequest(connection_pool_size=128),
    )
    await sender_bot.initialize()
    services.sender_bot = sender_bot
    services.sender = Sender(
        services.engine, sender_bot, rate_per_second=services.settings.telegram_rate_per_second,
        paid_broadcast=services.settings.telegram_paid_broadcast, clock=services.clock,
    )
    recovered = await asyncio.to_thread(services.sender.recover_in_flight)
    if recovered:
        logger.warning("found %d deliveries in flight from a previous run; each is sent at most once more", recovered)
    services.tasks.append(asyncio.create_task(services.sender.run(services.stop, wake=services.wake)))
    if with_jobs:
        schedule_jobs(application, services)
    services.wake_sender()


async def _post_shutdown(_application: Application, services: Services) -> None:
    services.stop.set()
    services.wake.set()
    for task in services.tasks:
        try:
            await asyncio.wait_for(task, timeout=10)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
    if services.sender_bot is not None:
        await services.sender_bot.shutdown()
    if services.http is not None:
        await services.http.aclose()
    services.engine.dispose()


def run_polling(application: Application) -> None:
    """Run the bot until interrupted."""
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
