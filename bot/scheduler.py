"""Scheduled jobs: when to poll. Each job is thin and calls an engine function."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram.ext import Application, ContextTypes

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

    async def poll_calendar_job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        outcome = await services.poller.tick()
        if outcome.mode != "idle":
            logger.info("calendar poll mode=%s rows=%d alerts=%d", outcome.mode, outcome.rows, outcome.alerts)

    async def refresh_companies_job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        if services.http is not None:
            await refresh_universe(services.engine, services.http, settings, services.clock)

    queue.run_repeating(poll_calendar_job, interval=settings.poll_active_seconds, first=2,
                        name="poll-calendar", job_kwargs=JOB_DEFAULTS)
    queue.run_repeating(refresh_companies_job, interval=UNIVERSE_CHECK_SECONDS, first=0,
                        name="refresh-companies", job_kwargs=JOB_DEFAULTS)
