"""Composition root: build(settings) wires the store, sources, engine, sender and Telegram.

Nothing is built at import time; tests, the demo and the console pass their own parts in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import httpx
from sqlalchemy import Engine
from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults
from telegram.request import HTTPXRequest

from bot.delivery.publisher import OutboxPublisher
from bot.delivery.sender import Sender
from bot.delivery.transport import AiohttpRequest
from bot.domain.market_time import utc_now
from bot.engine.detect import EdgarDetector
from bot.engine.poll import CalendarPoller
from bot.scheduler import JobCallback, schedule_jobs, start_company_list
from bot.settings import Settings
from bot.sources.calendar import CalendarSource
from bot.sources.edgar.client import EdgarClient, sec_rate_limiter
from bot.sources.finnhub import FinnhubCalendar
from bot.sources.http import RateLimiter, make_client
from bot.sources.nasdaq import NasdaqCalendar
from bot.store.db import make_engine
from bot.telegram import register
from bot.telegram.admin_commands import AdminCommands
from bot.telegram.commands import UserCommands

logger = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 2.0  # a stopping sender lets requests on the wire finish for this long
SHUTDOWN_WAIT_SECONDS = 3.0  # then the sender task gets this long before it is cancelled
OUTBOX = OutboxPublisher()  # the engine's alerts, rendered and queued for the sender
_SERVICES: weakref.WeakKeyDictionary[Application, Services] = weakref.WeakKeyDictionary()


@dataclass
class Services:
    """The long-lived parts of a running bot, opened in post_init and closed in post_shutdown.

    Background work (job bodies, loops, the read of a new watch's next report) runs as tasks in
    `work`; `begin_stop` cancels them all and tells the sender to stop sending, so that a stop
    never waits for a long read.
    """

    settings: Settings
    engine: Engine
    clock: Callable[[], datetime]
    poller: CalendarPoller
    sec_limiter: RateLimiter  # every SEC request of the process: EDGAR client and company list
    http: httpx.AsyncClient | None = None
    sender: Sender | None = None
    detector: EdgarDetector | None = None
    sender_bot: Bot | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    work: set[asyncio.Task[Any]] = field(default_factory=set)
    handle_signals: bool = False

    def wake_sender(self) -> None:
        """Tell the sender that new deliveries are waiting."""
        self.wake.set()

    def spawn(self, name: str, coro: Coroutine[Any, Any, Any], *, log_errors: bool = True) -> asyncio.Task[Any] | None:
        """Run coro as background work, cancelled by begin_stop; None once stopping."""
        if self.stop.is_set():
            coro.close()
            return None
        task = asyncio.create_task(coro, name=name)
        self.work.add(task)

        def done(finished: asyncio.Task[Any]) -> None:
            self.work.discard(finished)
            if log_errors and not finished.cancelled() and finished.exception() is not None:
                logger.error("%s failed", name, exc_info=finished.exception())

        task.add_done_callback(done)
        return task

    def job(self, name: str, body: Callable[[], Awaitable[None]]) -> JobCallback:
        """Return a JobQueue callback that runs body as cancellable work (python-telegram-bot
        shields a running job from cancellation and Application.stop() waits for it)."""

        async def callback(_context: object) -> None:
            task = self.spawn(name, _awaited(body), log_errors=False)
            if task is None:
                return
            try:
                await task
            except asyncio.CancelledError:
                if task.cancelled() and self.stop.is_set():
                    return  # stopped by begin_stop: nothing to report
                task.cancel()
                raise

        return callback

    def start_loop(
        self, name: str, body: Callable[[], Awaitable[float | None]], *, every: float, first: float = 0,
    ) -> asyncio.Task[Any] | None:
        """Run body now (after `first` seconds) and again `every` seconds after each run ends (or
        after the seconds body returns); it never overlaps itself and stops with begin_stop."""

        async def loop() -> None:
            await _wait_for_stop(self.stop, first)
            while not self.stop.is_set():
                delay: float | None = None
                try:
                    delay = await body()
                except Exception:  # noqa: BLE001 - one failed run must not end the loop
                    logger.exception("%s failed", name)
                await _wait_for_stop(self.stop, every if delay is None else delay)

        return self.spawn(name, loop())

    def read_next_reports(self, tickers: Sequence[str]) -> None:
        """Ask the calendar sources now for the next report of these newly watched companies."""
        if not tickers:
            return

        async def read() -> None:
            outcome = await self.poller.sync_companies(list(tickers))
            logger.info("next report read tickers=%s rows=%d errors=%d", ",".join(tickers), outcome.rows,
                        len(outcome.errors))

        self.spawn("read-next-reports", read())

    def begin_stop(self) -> None:
        """Stop new sends at once and cancel every background read (each resumes next start)."""
        self.stop.set()
        self.wake.set()
        for task in list(self.work):
            task.cancel()


async def _awaited(body: Callable[[], Awaitable[None]]) -> None:
    await body()


async def _wait_for_stop(stop: asyncio.Event, seconds: float) -> None:
    if seconds <= 0:
        await asyncio.sleep(0)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


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
    on_alerts: Callable[[], None], sec_limiter: RateLimiter,
) -> EdgarDetector | None:
    """Return the EDGAR detector, or None (with a warning) when SEC_USER_AGENT is not set."""
    if not settings.sec_user_agent:
        logger.warning("SEC EDGAR (company list, filings) is off: set SEC_USER_AGENT to your name and "
                       "e-mail, e.g. 'Jane Doe jane@example.com'")
        return None
    client = EdgarClient(http, settings.sec_www_url, settings.sec_data_url, settings.sec_user_agent, sec_limiter)
    return EdgarDetector(engine, client, outbox=OUTBOX, active_seconds=settings.poll_active_seconds,
                         idle_seconds=settings.poll_idle_seconds, clock=clock, on_alerts=on_alerts)


def _is_loopback(url: str) -> bool:
    return (urlparse(url).hostname or "") in {"127.0.0.1", "localhost", "::1"}


def _request_kwargs(settings: Settings) -> dict[str, Any]:
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
                        poller=CalendarPoller(engine, [], outbox=OUTBOX, clock=clock),
                        sec_limiter=sec_rate_limiter(settings.sec_rate_per_second))
    services.poller.sources = list(sources) if sources is not None else calendar_sources(settings, http)
    services.poller.on_alerts = services.wake_sender
    services.detector = edgar_detector(settings, engine, http, clock, services.wake_sender, services.sec_limiter)
    request_kwargs = _request_kwargs(settings)
    application = (
        ApplicationBuilder()
        .token(settings.bot_token)
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        .request(HTTPXRequest(connection_pool_size=64, **request_kwargs))
        .get_updates_request(HTTPXRequest(read_timeout=40, **request_kwargs))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        # Command replies: python-telegram-bot's limiter waits out a 429 and retries. Alerts go
        # through the Sender, which has its own throttle and its own Bot (see _post_init).
        .rate_limiter(AIORateLimiter(overall_max_rate=settings.telegram_rate_per_second, max_retries=3))
        .post_init(lambda app: _post_init(app, services, with_jobs=with_jobs))
        .post_stop(lambda _app: _post_stop(services))
        .post_shutdown(lambda app: _post_shutdown(app, services))
        .build()
    )
    commands = UserCommands(
        engine, clock=clock, admin_chat_ids=settings.admin_chat_ids,
        sources_configured=(bool(settings.sec_user_agent), bool(settings.finnhub_key)),
        on_watched=services.read_next_reports,
    )
    admin = AdminCommands(engine, outbox=OUTBOX, admin_chat_ids=settings.admin_chat_ids, clock=clock,
                          on_enqueued=services.wake_sender)
    register.add_handlers(application, commands, admin)
    _SERVICES[application] = services
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
        stop_grace=STOP_GRACE_SECONDS,
    )
    recovered = await asyncio.to_thread(services.sender.recover_in_flight)
    if recovered:
        logger.warning("found %d deliveries in flight from a previous run; each is sent at most once more", recovered)
    services.tasks.append(asyncio.create_task(services.sender.run(services.stop, wake=services.wake)))
    if services.handle_signals:
        _handle_stop_signals(services)
    if with_jobs:
        start_company_list(services)  # an empty database knows no ticker until this is done
        schedule_jobs(application, services)
    services.wake_sender()


def _handle_stop_signals(services: Services) -> None:
    """On SIGTERM or SIGINT, stop sending and cancel long reads before python-telegram-bot's own
    shutdown, which waits for running jobs (its stop_signals handler only raises SystemExit)."""
    loop = asyncio.get_running_loop()

    def stop_now(signum: int) -> None:
        if services.stop.is_set():
            return  # already stopping: a second signal must not cut the shutdown short
        logger.info("received %s: stopping", signal.Signals(signum).name)
        services.begin_stop()
        raise SystemExit  # what python-telegram-bot's own handler does: run_polling shuts down

    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop_now, signum)


async def _post_stop(services: Services) -> None:
    services.begin_stop()


async def _post_shutdown(_application: Application, services: Services) -> None:
    services.begin_stop()
    work = [*services.work, *services.tasks]
    if work:
        _done, pending = await asyncio.wait(work, timeout=SHUTDOWN_WAIT_SECONDS)
        for task in pending:
            task.cancel()
        await asyncio.gather(*work, return_exceptions=True)
    if services.sender_bot is not None:
        await services.sender_bot.shutdown()
    if services.http is not None:
        await services.http.aclose()
    services.engine.dispose()


def run_polling(application: Application) -> None:
    """Run the bot until SIGTERM or SIGINT; either stops it within seconds, whatever runs."""
    services = _SERVICES.get(application)
    if services is not None:
        services.handle_signals = True
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
