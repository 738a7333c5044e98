"""Composition root: build(settings) wires the store, sources, engine, sender and Telegram.

Nothing is built at import time; tests, the demo and the console pass their own parts in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import weakref
from collections.abc import Callable, Mapping, Sequence
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

from bot.catalog import catalog
from bot.delivery.budget import RedisLedger, SharedSendBudget
from bot.delivery.publisher import OutboxPublisher
from bot.delivery.sender import Sender
from bot.delivery.transport import AiohttpRequest
from bot.domain.market_time import utc_now
from bot.election import LEADER, Election
from bot.engine.confirm import confirm_reported_events
from bot.engine.detect import EdgarDetector
from bot.engine.feeds import FeedPoller
from bot.engine.poll import CalendarPoller
from bot.engine.reminders import due_reminders
from bot.engine.seed_history import seed_histories
from bot.engine.subscriptions import WatchResult
from bot.engine.universe import SOURCE_KEY as UNIVERSE_KEY
from bot.engine.universe import refresh_universe
from bot.http_server import HttpServer, create_app, run_webhook, webhook_for
from bot.kpis import load_kpis
from bot.metrics import BotCollector
from bot.scheduler import BackgroundWork, Every, schedule, unschedule
from bot.settings import Settings
from bot.sources.calendar import CalendarSource
from bot.sources.edgar.client import EdgarClient, sec_rate_limiter
from bot.sources.feeds.client import FeedReader, Validators
from bot.sources.feeds.ir_feeds import load_ir_feeds
from bot.sources.finnhub import FinnhubCalendar
from bot.sources.http import RateLimiter, SourceCounts, make_client
from bot.sources.nasdaq import NasdaqCalendar
from bot.sources.surprises import FinnhubSurprises, NasdaqSurprises, SurpriseSource
from bot.store.db import (
    LoopTransactions,
    ThreadedTransactions,
    command_transactions,
    make_engine,
    session_scope,
)
from bot.store.leadership import AdvisoryLeaderLock
from bot.store.source_state import seconds_until_retry
from bot.telegram import register
from bot.telegram.admin_commands import AdminCommands
from bot.telegram.calendar_commands import CalendarCommands
from bot.telegram.commands import UserCommands
from bot.telegram.flood import ChatOrderedUpdates, ChatPacedRateLimiter, CommandFlood

logger = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 2.0  # a stopping sender lets requests on the wire finish for this long
SHUTDOWN_WAIT_SECONDS = 3.0  # then the sender task gets this long before it is cancelled
SEED_HISTORY_SECONDS = 60  # newly watched companies get their past results within a minute
UNIVERSE_CHECK_SECONDS = 3600  # how often the company list is looked at (it is reloaded daily)
OUTBOX = OutboxPublisher()  # the engine's alerts, rendered and queued for the sender
_RUNTIMES: weakref.WeakKeyDictionary[Application, Runtime] = weakref.WeakKeyDictionary()


@dataclass
class Runtime:
    """The long-lived parts of a running bot, all built by `build_application`; post_init opens
    the network parts and starts the work, post_shutdown stops and closes them."""

    settings: Settings
    db: Engine
    clock: Callable[[], datetime]
    http: httpx.AsyncClient
    sec_limiter: RateLimiter  # every SEC request of the process: EDGAR client and company list
    poller: CalendarPoller
    detector: EdgarDetector | None
    sender_bot: Bot
    sender: Sender
    work: BackgroundWork = field(default_factory=BackgroundWork)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    sender_task: asyncio.Task[None] | None = None  # started in post_init
    company_list_loaded: asyncio.Event = field(default_factory=asyncio.Event)  # the first load ended
    handle_signals: bool = False
    exit_on_signal: bool = True  # polling: a signal ends run_polling (webhook mode waits on work.stop)
    started_at: datetime | None = None  # when post_init ran: /healthz gives a fresh start time to poll
    source_counts: SourceCounts | None = None  # requests and errors per source, for /metrics
    http_server: HttpServer | None = None  # /healthz, /metrics, the webhook: when HTTP_PORT is set
    feeds: FeedPoller | None = None  # newswire and IR feeds; None when off
    surprises: Sequence[SurpriseSource] = ()  # past EPS surprises, to seed a company's history
    seed_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one history seeding at a time
    # Several processes on one PostgreSQL: the election says whether this one leads (polls the
    # sources, runs the schedule and, in polling mode, reads updates). None: it always leads.
    election: Election | None = None
    election_task: asyncio.Task[None] | None = None
    polls_when_leader: bool = False  # polling mode under an election: getUpdates only while leading
    leader_work: BackgroundWork | None = None  # the schedule of the current term as leader
    leader_jobs: list[Any] = field(default_factory=list)
    # the steps of command replies: on the event loop on PostgreSQL (closed at shutdown), threads on SQLite
    command_steps: ThreadedTransactions | LoopTransactions | None = None

    @property
    def role(self) -> str:
        """"leader" or "standby"."""
        return self.election.role if self.election is not None else LEADER

    @property
    def transactions(self) -> ThreadedTransactions:
        """Each background step in a transaction of its own, in a worker thread."""
        return ThreadedTransactions(self.db)

    def wake_sender(self) -> None:
        """Tell the sender that new deliveries are waiting."""
        self.wake.set()

    def begin_stop(self) -> None:
        """Stop new sends at once and cancel every background read (each resumes next start)."""
        self.work.begin_stop()
        if self.leader_work is not None:
            self.leader_work.begin_stop()
        self.wake.set()


def scheduled_work(runtime: Runtime) -> list[Every]:
    """Return what runs on a schedule, each a thin call of an engine function."""
    settings, poller, detector = runtime.settings, runtime.poller, runtime.detector

    async def sync_calendar() -> None:
        outcome = await poller.sync_window()
        if outcome.mode != "idle":
            logger.info("calendar sync rows=%d alerts=%d errors=%d", outcome.rows, outcome.alerts,
                        len(outcome.errors))

    async def poll_due_reports() -> None:
        outcome = await poller.poll_due()
        if outcome.mode != "idle":
            logger.debug("due poll rows=%d alerts=%d", outcome.rows, outcome.alerts)

    plan = [
        Every("reminders", lambda: queue_reminders(runtime), 60, aligned=True),
        Every("refresh-companies", lambda: refresh_company_list(runtime), UNIVERSE_CHECK_SECONDS, loop=True),
        Every("sync-calendar", sync_calendar, settings.poll_idle_seconds, first=1, loop=True),
        Every("poll-due-reports", poll_due_reports, settings.poll_active_seconds, first=2),
    ]
    if detector is not None:
        plan += [
            Every("poll-edgar", lambda: poll_edgar(detector), settings.poll_active_seconds, first=1),
            Every("confirm-xbrl", lambda: confirm_reported_events(
                runtime.transactions, detector.client, outbox=OUTBOX, clock=runtime.clock, on_alerts=runtime.wake_sender,
            ), max(settings.poll_idle_seconds, 600), first=60),
        ]
    plan.append(Every("seed-history", lambda: seed_history(runtime), SEED_HISTORY_SECONDS, first=3))
    if runtime.feeds is not None:
        plan.append(Every("poll-feeds", lambda: poll_feeds(runtime.feeds), settings.poll_active_seconds, first=1))
    return plan


async def seed_history(runtime: Runtime) -> None:
    """Read the past results of newly watched companies (once per company; see engine/seed_history)."""
    edgar = runtime.detector.client if runtime.detector is not None else None
    if edgar is None and not runtime.surprises:
        return  # nothing to read past results from: no work for every /watch to start
    if runtime.seed_lock.locked():
        return  # a run is under way: it takes the newly watched company too, or the next one does
    async with runtime.seed_lock:
        seeded = await seed_histories(runtime.transactions, edgar, runtime.surprises, clock=runtime.clock)
    if seeded:
        logger.info("history seeded companies=%d", seeded)


def surprise_sources(settings: Settings, client: httpx.AsyncClient) -> list[SurpriseSource]:
    """Return the providers of past surprises: Nasdaq always, Finnhub with a key."""
    sources: list[SurpriseSource] = [NasdaqSurprises(client, settings.nasdaq_api_url, limiter=RateLimiter(1.0))]
    if settings.finnhub_key:
        sources.append(FinnhubSurprises(client, settings.finnhub_api_url, settings.finnhub_key,
                                        limiter=RateLimiter(1.0)))
    return sources


async def queue_reminders(runtime: Runtime) -> None:
    """Queue the reminders and weekly previews due this minute (each chat's own minute)."""

    def queue() -> int:
        with session_scope(runtime.db) as session:
            return due_reminders(session, runtime.clock(), OUTBOX)

    written = await asyncio.to_thread(queue)
    if written:
        logger.info("reminders queued alerts=%d", written)
        runtime.wake_sender()


async def refresh_company_list(runtime: Runtime) -> float:
    """Load SEC's company list when it is missing or a day old; return when to look again (an
    hour, or as soon as a failure's backoff allows)."""
    if not runtime.settings.sec_user_agent:
        return UNIVERSE_CHECK_SECONDS
    try:
        await refresh_universe(runtime.transactions, runtime.http, runtime.settings, runtime.clock, limiter=runtime.sec_limiter)
    finally:
        runtime.company_list_loaded.set()  # a /watch waiting for the list answers now, either way

    def retry_in() -> float | None:
        with session_scope(runtime.db) as session:
            return seconds_until_retry(session, UNIVERSE_KEY, runtime.clock())

    retry = await asyncio.to_thread(retry_in)
    return min(retry, UNIVERSE_CHECK_SECONDS) if retry else UNIVERSE_CHECK_SECONDS


async def poll_edgar(detector: EdgarDetector) -> None:
    """Read EDGAR's feed when the interval for the current mode has passed."""
    outcome = await detector.tick()
    if outcome.new_filings or outcome.errors:
        logger.info("edgar poll requests=%d filings=%d alerts=%d errors=%s", outcome.requests,
                    outcome.new_filings, outcome.alerts, outcome.errors[:3])


async def poll_feeds(feeds: FeedPoller | None) -> None:
    """Read the newswire and IR feeds when the interval for the current mode has passed."""
    if feeds is None:
        return
    outcome = await feeds.tick()
    if outcome.new_items or outcome.errors:
        ignored = ",".join(f"{reason.name.lower()}:{count}" for reason, count in sorted(outcome.ignored.items()))
        logger.info("feed poll requests=%d items=%d alerts=%d ignored=%s errors=%s", outcome.requests,
                    outcome.new_items, outcome.alerts, ignored or "0", outcome.errors[:3])


def feed_poller(
    settings: Settings, db: Engine, http: httpx.AsyncClient, clock: Callable[[], datetime],
    on_alerts: Callable[[], None],
) -> FeedPoller | None:
    """Return the newswire and IR feed poller, or None when no feed is configured or SEC_USER_AGENT
    (the contact every feed request names) is not set."""
    ir_feeds = load_ir_feeds(settings.ir_feeds_file)
    if not settings.sec_user_agent or not (settings.newswire_feeds or ir_feeds):
        return None
    contact = settings.sec_user_agent

    def reader(validators: Mapping[str, Validators]) -> FeedReader:
        # each feed is asked at most once per POLL_ACTIVE_SECONDS, each on its own site: no shared pace
        return FeedReader(http, contact=contact, validators=validators)

    return FeedPoller(ThreadedTransactions(db), reader, wires=settings.newswire_feeds, ir_feeds=ir_feeds,
                      outbox=OUTBOX, active_seconds=settings.poll_active_seconds,
                      idle_seconds=settings.poll_idle_seconds, clock=clock, on_alerts=on_alerts)


def read_next_reports(runtime: Runtime, watched: WatchResult) -> None:
    """Read now what the companies a chat just watched lack: the next report of those with no date
    (from the calendar sources), the past results of those never seeded (their first watcher)."""
    if watched.unscheduled:
        tickers = list(watched.unscheduled)

        async def read() -> None:
            outcome = await runtime.poller.sync_companies(tickers)
            logger.info("next report read tickers=%s rows=%d errors=%d", ",".join(tickers), outcome.rows,
                        len(outcome.errors))

        runtime.work.spawn("read-next-reports", read())
    if watched.unseeded:
        runtime.work.spawn("seed-history", seed_history(runtime))


def ask_calendars_now(runtime: Runtime, tickers: Sequence[str]) -> asyncio.Task[Any] | None:
    """Start reading these companies' next reports (/next of a company with no stored date); the
    task, which the caller may wait for a while (None once the bot is stopping)."""
    return runtime.work.spawn("next-report-asked", runtime.poller.sync_companies(list(tickers)))


def calendar_sources(settings: Settings, client: httpx.AsyncClient) -> list[CalendarSource]:
    """Return the calendar providers the settings allow: Nasdaq always, Finnhub with a key."""
    sources: list[CalendarSource] = [NasdaqCalendar(client, settings.nasdaq_api_url, limiter=RateLimiter(1.0))]
    if settings.finnhub_key:
        sources.append(
            FinnhubCalendar(client, settings.finnhub_api_url, settings.finnhub_key, limiter=RateLimiter(1.0))
        )
    # the poller trusts their dates in this order (config/catalog.toml calendar_priority)
    rank = {name: position for position, name in enumerate(catalog().calendar_priority)}
    return sorted(sources, key=lambda source: rank.get(source.name, len(rank)))


def edgar_detector(
    settings: Settings, db: Engine, http: httpx.AsyncClient, clock: Callable[[], datetime],
    on_alerts: Callable[[], None], sec_limiter: RateLimiter,
) -> EdgarDetector | None:
    """Return the EDGAR detector, or None (with a warning) when SEC_USER_AGENT is not set."""
    if not settings.sec_user_agent:
        logger.warning("SEC EDGAR (company list, filings) is off: set SEC_USER_AGENT to your name and "
                       "e-mail, e.g. 'Jane Doe jane@example.com'")
        return None
    client = EdgarClient(http, settings.sec_www_url, settings.sec_data_url, settings.sec_user_agent, sec_limiter)
    return EdgarDetector(ThreadedTransactions(db), client, outbox=OUTBOX, active_seconds=settings.poll_active_seconds,
                         idle_seconds=settings.poll_idle_seconds, clock=clock, on_alerts=on_alerts,
                         kpis_of=load_kpis(settings.kpis_file).for_company)


def _is_loopback(url: str) -> bool:
    return (urlparse(url).hostname or "") in {"127.0.0.1", "localhost", "::1"}


def _request_kwargs(settings: Settings) -> dict[str, Any]:
    """Keep proxies from the environment away from a Bot API server on this machine."""
    return {"httpx_kwargs": {"trust_env": False}} if _is_loopback(settings.telegram_api_url) else {}


def _aiohttp_request(settings: Settings, *, pool: int, read_timeout: float = 5.0) -> AiohttpRequest:
    """A Bot API request backend on aiohttp: proxies from the environment, except for a server on
    this machine."""
    return AiohttpRequest(connection_pool_size=pool, read_timeout=read_timeout,
                          trust_env=not _is_loopback(settings.telegram_api_url))


def build_application(
    settings: Settings, *, db: Engine | None = None, clock: Callable[[], datetime] = utc_now,
    sources: Sequence[CalendarSource] | None = None, http: httpx.AsyncClient | None = None,
    with_jobs: bool = True, ptb_default_replies: bool = False, reply_rate_per_second: float | None = None,
) -> tuple[Application, Runtime]:
    """Build the python-telegram-bot Application and every part behind it; nothing is left to patch.

    ptb_default_replies: python-telegram-bot's default handling of updates (one at a time) and its
    AIORateLimiter, instead of ours; bench/commands.py measures both. reply_rate_per_second: the
    overall pace of command replies (TELEGRAM_RATE_PER_SECOND unless given)."""
    db = db or make_engine(settings.database_url)
    source_counts = _source_counts(settings) if http is None else None
    http = http or make_client(counts=source_counts)
    sec_limiter = sec_rate_limiter(settings.sec_rate_per_second)
    wake = asyncio.Event()
    poller = CalendarPoller(ThreadedTransactions(db), list(sources) if sources is not None else calendar_sources(settings, http),
                            outbox=OUTBOX, clock=clock, on_alerts=wake.set)
    # Alerts go out on their own Bot over aiohttp: httpx's pool costs too much CPU per request
    # for the 1000 messages a second paid broadcast allows (docs/performance.md).
    sender_bot = Bot(settings.bot_token, base_url=f"{settings.telegram_api_url}/bot",
                     request=_aiohttp_request(settings, pool=128))
    shared = db.dialect.name == "postgresql"  # any number of processes may share the database
    sender = Sender(db, sender_bot, rate_per_second=settings.telegram_rate_per_second,
                    paid_broadcast=settings.telegram_paid_broadcast, clock=clock, stop_grace=STOP_GRACE_SECONDS,
                    shared_outbox=shared)
    if settings.redis_url is not None:  # the rate shared through Redis, whatever the database
        sender.budget = SharedSendBudget(RedisLedger(settings.redis_url.get_secret_value()),
                                         rate_per_second=sender.rate_per_second)
    elif shared:
        sender.budget = SharedSendBudget(db, rate_per_second=sender.rate_per_second)
    runtime = Runtime(
        settings=settings, db=db, clock=clock, http=http, sec_limiter=sec_limiter, poller=poller,
        detector=edgar_detector(settings, db, http, clock, wake.set, sec_limiter), sender_bot=sender_bot,
        sender=sender, wake=wake, source_counts=source_counts,
        feeds=feed_poller(settings, db, http, clock, wake.set),
        # a caller that brings its own calendars (the demo, tests) brings no provider of past surprises either
        surprises=surprise_sources(settings, http) if sources is None else (),
    )
    application = _telegram_application(settings, runtime, with_jobs=with_jobs, ptb_default_replies=ptb_default_replies,
                                        reply_rate=reply_rate_per_second or settings.telegram_rate_per_second)
    if shared and with_jobs:
        runtime.election = Election(AdvisoryLeaderLock(db), on_elected=lambda: _lead(application, runtime),
                                    on_deposed=lambda: _step_down(application, runtime),
                                    on_processes=sender.budget.processes_sending if sender.budget else None)
    runtime.command_steps = command_transactions(db)
    commands = UserCommands(
        db, clock=clock, transactions=runtime.command_steps, admin_chat_ids=settings.admin_chat_ids,
        admin_user_ids=settings.admin_user_ids,
        sources_configured=(bool(settings.sec_user_agent), bool(settings.finnhub_key)),
        on_watched=lambda watched: read_next_reports(runtime, watched),
        company_list_loaded=runtime.company_list_loaded if with_jobs else None,  # only jobs load it
    )
    admin = AdminCommands(db, outbox=OUTBOX, admin_chat_ids=settings.admin_chat_ids,
                          admin_user_ids=settings.admin_user_ids, clock=clock,
                          on_enqueued=runtime.wake_sender)
    calendar = CalendarCommands(db, clock=clock, transactions=runtime.command_steps,
                                ask_calendars=lambda tickers: ask_calendars_now(runtime, tickers),
                                company_list_loaded=runtime.company_list_loaded if with_jobs else None)
    register.add_handlers(application, commands, admin, calendar, kpis=load_kpis(settings.kpis_file))
    _RUNTIMES[application] = runtime
    return application, runtime


def _telegram_application(settings: Settings, runtime: Runtime, *, with_jobs: bool,
                          ptb_default_replies: bool = False, reply_rate: float | None = None) -> Application:
    """Return python-telegram-bot's Application for command replies, with the runtime's hooks."""
    request_kwargs = _request_kwargs(settings)
    # getUpdates: python-telegram-bot's HTTPXRequest in its default setup; ours reads updates over
    # aiohttp as it sends replies (the long poll's wait is added to the read timeout by get_updates)
    updates = (HTTPXRequest(read_timeout=40, **request_kwargs) if ptb_default_replies
               else _aiohttp_request(settings, pool=1, read_timeout=40))
    builder = (
        ApplicationBuilder()
        .token(settings.bot_token)
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        .get_updates_request(updates)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .post_init(lambda app: _post_init(app, runtime, with_jobs=with_jobs))
        .post_stop(lambda _app: _post_stop(runtime))
        .post_shutdown(lambda _app: _post_shutdown(runtime))
    )
    rate = reply_rate or settings.telegram_rate_per_second
    if ptb_default_replies:
        return (builder.request(HTTPXRequest(connection_pool_size=64, **request_kwargs))
                .rate_limiter(AIORateLimiter(overall_max_rate=rate, max_retries=3)).build())
    # Command replies: chats are answered side by side (each chat's in order, at most 20 commands a
    # minute), paced per chat; a 429 pauses only its chat. Alerts go through the Sender, which has
    # its own throttle and its own Bot.
    # Replies over aiohttp, as alerts: httpx's pool costs more CPU per request (docs/performance.md).
    return (
        builder.request(_aiohttp_request(settings, pool=64))
        .rate_limiter(ChatPacedRateLimiter(rate, max_retries=3))
        .concurrent_updates(ChatOrderedUpdates(CommandFlood(), register.command_names()))
        .build()
    )


async def _post_init(application: Application, runtime: Runtime, *, with_jobs: bool) -> None:
    await application.bot.set_my_commands([BotCommand(name, text) for name, text in register.COMMAND_MENU])
    await runtime.sender_bot.initialize()
    recovered = await asyncio.to_thread(runtime.sender.recover_in_flight)
    if recovered:
        logger.warning("found %d deliveries in flight from a previous run; each is sent at most once more", recovered)
    runtime.sender_task = asyncio.create_task(runtime.sender.run(runtime.work.stop, wake=runtime.wake))
    runtime.started_at = runtime.clock()
    if runtime.election is not None:
        await runtime.election.check()  # /healthz tells the role from its first answer on
    if runtime.settings.http_port is not None:
        runtime.http_server = _http_server(application, runtime)
        await runtime.http_server.start()
    if runtime.handle_signals:
        _handle_stop_signals(runtime)
    if runtime.election is not None:
        runtime.election_task = asyncio.create_task(runtime.election.run(runtime.work.stop), name="election")
    elif with_jobs:
        # the company list comes first: an empty database knows no ticker until it is loaded
        schedule(application.job_queue, runtime.work, scheduled_work(runtime))
    runtime.wake_sender()


async def _lead(application: Application, runtime: Runtime) -> None:
    """Elected: start the schedule and, in polling mode, reading updates."""
    runtime.leader_work = BackgroundWork()
    runtime.leader_jobs = schedule(application.job_queue, runtime.leader_work, scheduled_work(runtime))
    if runtime.polls_when_leader and application.updater is not None and not application.updater.running:
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)


async def _step_down(application: Application, runtime: Runtime) -> None:
    """Deposed (or stopping): end the schedule and stop reading updates; sending goes on."""
    if runtime.leader_work is not None:
        unschedule(runtime.leader_work, runtime.leader_jobs)
        runtime.leader_jobs = []
    if application.updater is not None and application.updater.running:
        await application.updater.stop()


def _handle_stop_signals(runtime: Runtime) -> None:
    """On SIGTERM or SIGINT, stop sending and cancel long reads before python-telegram-bot's own
    shutdown, which waits for running jobs (its stop_signals handler only raises SystemExit)."""
    loop = asyncio.get_running_loop()

    def stop_now(signum: int) -> None:
        if runtime.work.stop.is_set():
            return  # already stopping: a second signal must not cut the shutdown short
        logger.info("received %s: stopping", signal.Signals(signum).name)
        runtime.begin_stop()
        if not runtime.exit_on_signal:
            return  # webhook mode: run_webhook is waiting for work.stop
        raise SystemExit  # what python-telegram-bot's own handler does: run_polling shuts down

    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop_now, signum)


async def _post_stop(runtime: Runtime) -> None:
    runtime.begin_stop()
    await _stop_http_server(runtime)


async def _stop_http_server(runtime: Runtime) -> None:
    if runtime.http_server is not None:
        await runtime.http_server.stop()
        runtime.http_server = None


async def _post_shutdown(runtime: Runtime) -> None:
    runtime.begin_stop()
    await _stop_http_server(runtime)
    leading = runtime.leader_work.tasks if runtime.leader_work is not None else set()
    running = [*runtime.work.tasks, *leading,
               *(task for task in (runtime.sender_task, runtime.election_task) if task is not None)]
    if running:
        _done, pending = await asyncio.wait(running, timeout=SHUTDOWN_WAIT_SECONDS)
        for task in pending:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
    await runtime.sender_bot.shutdown()
    await runtime.http.aclose()
    if runtime.sender.budget is not None and isinstance(runtime.sender.budget.ledger, RedisLedger):
        runtime.sender.budget.ledger.close()
    if isinstance(runtime.command_steps, LoopTransactions):
        await runtime.command_steps.close()
    runtime.db.dispose()


def run_polling(application: Application) -> None:
    """Run the bot until SIGTERM or SIGINT; either stops it within seconds, whatever runs."""
    runtime = _RUNTIMES.get(application)
    if runtime is not None:
        runtime.handle_signals = True
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)


def run_bot(application: Application) -> None:
    """Run the bot until SIGTERM or SIGINT: by long polling, or in webhook mode when
    TELEGRAM_WEBHOOK_URL is set (Telegram then posts updates to the HTTP server)."""
    runtime = _RUNTIMES.get(application)
    if runtime is None or (not runtime.settings.telegram_webhook_url and runtime.election is None):
        run_polling(application)
        return
    runtime.handle_signals = True
    asyncio.run(serve_webhook(application) if runtime.settings.telegram_webhook_url else serve_polling(application))


async def serve_polling(application: Application) -> None:
    """Long polling under an election (several processes on one PostgreSQL): every process
    sends, only the leader reads updates, so Telegram never sees two getUpdates at once."""
    runtime = _RUNTIMES[application]
    runtime.exit_on_signal = False  # a signal sets work.stop, which this waits for
    runtime.polls_when_leader = True
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)  # starts the sender, the HTTP server, the election
        await application.start()
        try:
            await runtime.work.stop.wait()
        finally:
            await _stop_http_server(runtime)
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


async def serve_webhook(application: Application) -> None:
    """Webhook mode until the bot stops (SIGTERM, or Runtime.begin_stop)."""
    runtime = _RUNTIMES[application]
    runtime.exit_on_signal = False  # a signal sets work.stop, which run_webhook waits for
    secret, url = runtime.settings.telegram_webhook_secret, runtime.settings.telegram_webhook_url or ""
    await run_webhook(application, url=url, secret=secret.get_secret_value() if secret else "",
                      stop=runtime.work.stop, before_stop=lambda: _stop_http_server(runtime))


def _http_server(application: Application, runtime: Runtime) -> HttpServer:
    """/healthz and /metrics, and POST /telegram/webhook in webhook mode."""
    settings, secret = runtime.settings, runtime.settings.telegram_webhook_secret
    webhook = webhook_for(secret.get_secret_value(), application) if settings.telegram_webhook_url and secret else None
    collector = BotCollector(runtime.db, messages_sent=lambda: runtime.sender.messages_sent,
                             source_counts=runtime.source_counts, leader=lambda: runtime.role == LEADER)
    app = create_app(runtime.db, clock=runtime.clock, poll_idle_seconds=settings.poll_idle_seconds,
                     running_since=runtime.started_at or runtime.clock(), collector=collector, webhook=webhook,
                     role=lambda: runtime.role)
    return HttpServer(app, port=settings.http_port or 0)


def _source_counts(settings: Settings) -> SourceCounts:
    """Requests per source, each known by the URL it was given (the longest prefix wins)."""
    return SourceCounts([(settings.nasdaq_api_url, "nasdaq"), (settings.finnhub_api_url, "finnhub"),
                         (settings.sec_www_url, "sec"), (settings.sec_data_url, "sec")])
