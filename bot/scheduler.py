"""Scheduled jobs: when to poll. Each job is thin and calls an engine function."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram.ext import Application, ContextTypes

from bot.engine.confirm import confirm_reported_events
from bot.engine.universe import refresh_universe

if TYPE_CHECKING:
    from bot.app import Services

logger = logging.getLogger(__name__)

JOB_DEFAULTS = {"misfire_grace_time": 30, "coalesce": True, "max_instances": 1}
UNIVERSE_CHECK_SECONDS = 3600


def schedule_jobs(application: Application, services: Services) -> None:
    """Register the repeating jobs with deterministic names (nothing to persist across restarts)."""
    queue = application.job_queue
    if queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    settings = services.settings

    async def poll_due_reports_job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        outcome = await services.poller.poll_due()
        if outcome.mode != "idle":
            logger.debug("due poll rows=%d alerts=%d", outcome.rows, outcome.alerts)

    async def sync_calendar_job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        outcome = await services.poller.sync_window()
        logger.info("calendar sync rows=%d alerts=%d errors=%d", outcome.rows, outcome.alerts, len(outcome.errors))

    async def refresh_companies_job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        if services.http is not None:
            await refresh_universe(services.engine, services.http, settings, services.clock)

    queue.run_repeating(sync_calendar_job, interval=settings.poll_idle_seconds, first=1,
                        name="sync-calendar", job_kwargs=JOB_DEFAULTS)
    queue.run_repeating(poll_due_reports_job, interval=settings.poll_active_seconds, first=2,
                        name="poll-due-reports", job_kwargs=JOB_DEFAULTS)
    if services.detector is not None:
        detector = services.detector

        async def poll_edgar_job(_context: ContextTypes.DEFAULT_TYPE) -> None:
            outcome = await detector.tick()
            if outcome.new_filings or outcome.errors:
                logger.info("edgar poll requests=%d filings=%d alerts=%d errors=%s", outcome.requests,
                            outcome.new_filings, outcome.alerts, outcome.errors[:3])

        async def confirm_xbrl_job(_context: ContextTypes.DEFAULT_TYPE) -> None:
            await confirm_reported_events(services.engine, detector.client, clock=services.clock,
                                          on_alerts=services.wake_sender)

        queue.run_repeating(poll_edgar_job, interval=settings.poll_active_seconds, first=1,
                            name="poll-edgar", job_kwargs=JOB_DEFAULTS)
        queue.run_repeating(confirm_xbrl_job, interval=max(settings.poll_idle_seconds, 600), first=60,
                            name="confirm-xbrl", job_kwargs=JOB_DEFAULTS)
    queue.run_repeating(refresh_companies_job, interval=UNIVERSE_CHECK_SECONDS, first=0,
                        name="refresh-companies", job_kwargs=JOB_DEFAULTS)
