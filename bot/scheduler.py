"""Scheduled work: when to poll. Each job is thin and calls an engine function.

Two kinds of work:

* Short repeating jobs on python-telegram-bot's JobQueue (due reports, the EDGAR feed, XBRL
  confirmation), registered by `repeating_job` with an explicit first run time. python-telegram-bot
  documents that `first=0` does not run at once, and APScheduler puts the first run of an interval
  job whose start has passed when the scheduler starts (it starts after post_init) one whole
  interval later; a `next_run_time` given to APScheduler is kept as it is.
* Long reads run as loops of their own (`Services.start_loop`): the calendar window (one request
  per day of the window, at 1/s) and SEC's company list. A loop waits its interval after a read
  ends, so it never overlaps itself (no "skipped: maximum number of running instances" line every
  interval), never holds up the JobQueue, and is cancelled at once when the bot stops.

Every job body runs as a task of Services (`Services.job`), so that a stop cancels it instead of
waiting for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, ContextTypes, Job, JobQueue

from bot.engine.confirm import confirm_reported_events
from bot.engine.universe import SOURCE_KEY as UNIVERSE_KEY
from bot.engine.universe import refresh_universe
from bot.store.db import session_scope
from bot.store.source_state import seconds_until_retry

if TYPE_CHECKING:
    from bot.app import Services

logger = logging.getLogger(__name__)

JOB_DEFAULTS = {"misfire_grace_time": 30, "coalesce": True, "max_instances": 1}
UNIVERSE_CHECK_SECONDS = 3600
_SKIPPED_RUN = "maximum number of running instances reached"

JobCallback = Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def repeating_job(queue: JobQueue, callback: JobCallback, *, interval: float, first: float, name: str) -> Job:
    """Run callback every `interval` seconds, the first time `first` seconds from now, even when
    the scheduler starts later than that (within JOB_DEFAULTS' misfire grace)."""
    first_run = datetime.now(UTC) + timedelta(seconds=first)
    return queue.run_repeating(callback, interval=interval, first=first_run, name=name,
                               job_kwargs={**JOB_DEFAULTS, "next_run_time": first_run})


class SkippedRunFilter(logging.Filter):
    """Drop APScheduler's warning for a run skipped because the previous one still runs: a job
    that takes longer than its interval would otherwise log a line every interval. Its next run
    comes when it is done, which is what we want; the slowness itself shows in the job's own log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _SKIPPED_RUN not in record.getMessage()


def quiet_skipped_runs() -> None:
    """Install SkippedRunFilter on APScheduler's scheduler logger (once)."""
    scheduler_logger = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, SkippedRunFilter) for f in scheduler_logger.filters):
        scheduler_logger.addFilter(SkippedRunFilter())


def schedule_jobs(application: Application, services: Services) -> None:
    """Register the repeating jobs and loops with deterministic names (nothing to persist)."""
    queue = application.job_queue
    if queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    quiet_skipped_runs()
    settings = services.settings

    async def poll_due_reports() -> None:
        outcome = await services.poller.poll_due()
        if outcome.mode != "idle":
            logger.debug("due poll rows=%d alerts=%d", outcome.rows, outcome.alerts)

    async def sync_calendar() -> None:
        outcome = await services.poller.sync_window()
        if outcome.mode != "idle":
            logger.info("calendar sync rows=%d alerts=%d errors=%d", outcome.rows, outcome.alerts,
                        len(outcome.errors))

    services.start_loop("sync-calendar", sync_calendar, every=settings.poll_idle_seconds, first=1)
    repeating_job(queue, services.job("poll-due-reports", poll_due_reports), interval=settings.poll_active_seconds,
                  first=2, name="poll-due-reports")
    if services.detector is not None:
        detector = services.detector

        async def poll_edgar() -> None:
            outcome = await detector.tick()
            if outcome.new_filings or outcome.errors:
                logger.info("edgar poll requests=%d filings=%d alerts=%d errors=%s", outcome.requests,
                            outcome.new_filings, outcome.alerts, outcome.errors[:3])

        async def confirm_xbrl() -> None:
            await confirm_reported_events(services.engine, detector.client, outbox=detector.outbox,
                                          clock=services.clock, on_alerts=services.wake_sender)

        repeating_job(queue, services.job("poll-edgar", poll_edgar), interval=settings.poll_active_seconds,
                      first=1, name="poll-edgar")
        repeating_job(queue, services.job("confirm-xbrl", confirm_xbrl),
                      interval=max(settings.poll_idle_seconds, 600), first=60, name="confirm-xbrl")


def start_company_list(services: Services) -> None:
    """Load SEC's company list now when it is missing or a day old, then check hourly; after a
    failure, try again as soon as the backoff allows."""
    settings = services.settings
    http = services.http
    if http is None or not settings.sec_user_agent:
        return

    async def refresh_companies() -> float:
        await refresh_universe(services.engine, http, settings, services.clock, limiter=services.sec_limiter)
        with session_scope(services.engine) as session:
            retry = seconds_until_retry(session, UNIVERSE_KEY, services.clock())
        return min(retry, UNIVERSE_CHECK_SECONDS) if retry else UNIVERSE_CHECK_SECONDS

    services.start_loop("refresh-companies", refresh_companies, every=UNIVERSE_CHECK_SECONDS, first=0)
