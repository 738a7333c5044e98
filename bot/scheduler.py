"""Scheduled work: when to poll. Each job is thin and calls an engine function.

Two kinds of work:

* Short repeating jobs on python-telegram-bot's JobQueue (due reports, the EDGAR feed, XBRL
  confirmation), registered by `repeating_job` with an explicit first run time. python-telegram-bot
  documents that `first=0` does not run at once, and APScheduler puts the first run of an interval
  job whose start has passed when the scheduler starts (it starts after post_init) one whole
  interval later; a `next_run_time` given to APScheduler is kept as it is.
* Long reads run as loops of their own (`BackgroundWork.start_loop`): the calendar window (one request
  per day of the window, at 1/s) and SEC's company list. A loop waits its interval after a read
  ends, so it never overlaps itself (no "skipped: maximum number of running instances" line every
  interval), never holds up the JobQueue, and is cancelled at once when the bot stops.

Every job body runs as a task of `BackgroundWork` (`BackgroundWork.job`), so that a stop cancels
it instead of waiting for it. The scheduler knows nothing of what the work does: `app.py` hands it
a plan of named callables (`Every`), each calling an engine function.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram.ext import ContextTypes, Job, JobQueue

logger = logging.getLogger(__name__)

JOB_DEFAULTS = {"misfire_grace_time": 30, "coalesce": True, "max_instances": 1}
# A minute job runs ALIGN_OFFSET seconds into every wall-clock minute. Runs missed while the loop
# was busy or the process paused fold into one (coalesce) and still run up to 50 s late; a later
# one waits for the next minute, whose run finds everything still due.
MINUTE_JOB_DEFAULTS = {"misfire_grace_time": 50, "coalesce": True, "max_instances": 1}
ALIGN_OFFSET = 1.0
_SKIPPED_RUN = "maximum number of running instances reached"

JobCallback = Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Every:
    """A piece of scheduled work: run `run` every `seconds`, the first time after `first`.

    A loop (`loop=True`) waits its interval after each run ends, or the seconds its run returns,
    so it never overlaps itself; the others are JobQueue jobs on a fixed interval.
    """

    name: str
    run: Callable[[], Awaitable[float | None]]
    seconds: float
    first: float = 0
    loop: bool = False
    aligned: bool = False  # runs at the start of every `seconds` of the wall clock (a minute job)


@dataclass
class BackgroundWork:
    """Every background task of a running bot: job bodies, loops, one-off reads. `begin_stop`
    cancels them all, so a stop never waits for a long read."""

    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, name: str, coro: Coroutine[Any, Any, Any], *, log_errors: bool = True) -> asyncio.Task[Any] | None:
        """Run coro as background work, cancelled by begin_stop; None once stopping."""
        if self.stop.is_set():
            coro.close()
            return None
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)

        def done(finished: asyncio.Task[Any]) -> None:
            self.tasks.discard(finished)
            if log_errors and not finished.cancelled() and finished.exception() is not None:
                logger.error("%s failed", name, exc_info=finished.exception())

        task.add_done_callback(done)
        return task

    def job(self, name: str, body: Callable[[], Awaitable[Any]]) -> JobCallback:
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

    def begin_stop(self) -> None:
        """Cancel every background task; nothing new starts after this."""
        self.stop.set()
        for task in list(self.tasks):
            task.cancel()


def schedule(queue: JobQueue | None, work: BackgroundWork, plan: Sequence[Every]) -> list[Job]:
    """Register the plan with deterministic names: loops as tasks, the rest as JobQueue jobs.
    Return the JobQueue jobs (`unschedule` ends them and work's loops)."""
    if queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    quiet_skipped_runs()
    jobs = []
    for item in plan:
        if item.loop:
            work.start_loop(item.name, item.run, every=item.seconds, first=item.first)
        elif item.aligned:
            jobs.append(aligned_job(queue, work.job(item.name, item.run), period=item.seconds, name=item.name))
        else:
            jobs.append(repeating_job(queue, work.job(item.name, item.run), interval=item.seconds,
                                      first=item.first, name=item.name))
    return jobs


def unschedule(work: BackgroundWork, jobs: Sequence[Job]) -> None:
    """End what `schedule` started: no job runs again, and what runs now is cancelled."""
    for job in jobs:
        job.schedule_removal()
    work.begin_stop()


def repeating_job(queue: JobQueue, callback: JobCallback, *, interval: float, first: float, name: str) -> Job:
    """Run callback every `interval` seconds, the first time `first` seconds from now, even when
    the scheduler starts later than that (within JOB_DEFAULTS' misfire grace)."""
    first_run = datetime.now(UTC) + timedelta(seconds=first)
    return queue.run_repeating(callback, interval=interval, first=first_run, name=name,
                               job_kwargs={**JOB_DEFAULTS, "next_run_time": first_run})


def next_boundary(now: datetime, period: float, offset: float = ALIGN_OFFSET) -> datetime:
    """Return the first moment after now that is `offset` seconds past a multiple of `period`
    seconds of the wall clock (the next minute's first second, for a period of 60)."""
    epoch = now.timestamp()
    start = (epoch // period) * period + offset
    if start <= epoch:
        start += period
    return datetime.fromtimestamp(start, UTC)


def aligned_job(queue: JobQueue, callback: JobCallback, *, period: float, name: str,
                offset: float = ALIGN_OFFSET) -> Job:
    """Run callback `offset` seconds into every `period` of the wall clock (every minute at :01).

    APScheduler's interval trigger counts from the first run time given, in wall-clock time, so
    one aligned first run keeps every later one aligned (tests/telegram/test_reminders.py checks
    this); misfire grace and coalescing are set explicitly (MINUTE_JOB_DEFAULTS).
    """
    first_run = next_boundary(datetime.now(UTC), period, offset)
    return queue.run_repeating(callback, interval=period, first=first_run, name=name,
                               job_kwargs={**MINUTE_JOB_DEFAULTS, "next_run_time": first_run})


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


async def _awaited(body: Callable[[], Awaitable[Any]]) -> None:
    await body()


async def _wait_for_stop(stop: asyncio.Event, seconds: float) -> None:
    if seconds <= 0:
        await asyncio.sleep(0)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
