"""The sender: drains the outbox into Telegram within the flood limits, exactly once as far as it can.

    sender = Sender(engine, bot, rate_per_second=settings.telegram_rate_per_second)
    await sender.run(stop, wake=new_work)     # new_work.set() after committing an alert

A job is one chat's due alerts: they go out as one message (split at 4096 UTF-16 units). Rows are
marked 'sending' before the request and 'sent' after it, in small batches; a process killed in
between leaves rows that `recover_in_flight` queues once more (and never a third time).

Faults: a 429 pauses every send for retry_after; 403, "chat not found" and lost rights block the
chat and cancel what waits for it; a group that became a supergroup gets its new id and the
message again; timeouts and 5xx back off exponentially (2 s doubling, at most 5 min apart) until
`max_attempts` (12: about 25 minutes, so an outage of Telegram or of the network loses nothing),
then the delivery fails with the error kept. A message Telegram refuses fails alone: alerts
coalesced with it are sent one by one.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from telegram import Bot, LinkPreviewOptions, Message
from telegram.constants import FloodLimit, ParseMode
from telegram.error import TelegramError

from bot.delivery import claims, recovery
from bot.delivery.budget import SharedSendBudget
from bot.delivery.claims import Job
from bot.delivery.corrections import EditPlan
from bot.delivery.faults import Backoff, Fault, FaultKind, classify
from bot.delivery.jobrun import JobRun
from bot.delivery.outcomes import (
    ChatGone,
    Edited,
    Failed,
    FloodSeen,
    Outcome,
    Retry,
    record_outcomes,
)
from bot.delivery.throttle import ChatSpacing, GlobalPacer
from bot.domain.market_time import utc_now

logger = logging.getLogger(__name__)

FREE_RATE_CEILING = float(FloodLimit.MESSAGES_PER_SECOND)  # 30/s without paid broadcast
PAID_RATE_CEILING = float(FloodLimit.PAID_MESSAGES_PER_SECOND)  # 1000/s
CLAIM_HORIZON = 0.2  # claim about this many seconds of sends ahead
MAX_WINDOW = 250  # jobs claimed and not yet settled, at most
MAX_IN_FLIGHT = 100  # HTTP requests on the wire at once: 1000/s at 100 ms round trips
FLUSH_INTERVAL = 0.1  # seconds between writes of outcomes while sends go on
IDLE_POLL = 2.0  # look at the outbox at least this often when nobody wakes the sender
STOP_GRACE = 5.0  # seconds a stopping sender lets requests on the wire finish
MAX_FLOOD_RETRIES = 5  # 429s in a row for one message before it goes back to the queue
# With a shared outbox (several processes on one PostgreSQL): a claim is a lease of SHARED_LEASE,
# renewed every LEASE_RENEWAL while its job runs; every REAP_INTERVAL a sender takes back rows whose
# lease ran out (their process died). A delivery in flight at a kill is retried within
# SHARED_LEASE + REAP_INTERVAL (30 s).
SHARED_LEASE = timedelta(seconds=20)
LEASE_RENEWAL = 5.0
REAP_INTERVAL = 10.0
COOLING_WAIT = 1.5  # a drain waits this long at most for a chat's one-per-second limit

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class Sender:
    """Drain the outbox; see the module docstring."""

    def __init__(
        self, db: Engine, bot: Bot, *, rate_per_second: float, paid_broadcast: bool = False,
        clock: Callable[[], datetime] = utc_now, max_attempts: int = 12, backoff_seconds: float = 2.0,
        max_backoff_seconds: float = 300.0, chat_interval: float = 1.0, group_per_minute: int = 20,
        headroom: float = 0.02, stop_grace: float = STOP_GRACE, rate_ceiling: float | None = None,
        max_in_flight: int = MAX_IN_FLIGHT, shared_outbox: bool = False, spacing: ChatSpacing | None = None,
        budget: SharedSendBudget | None = None,
    ) -> None:
        rate_per_second = _capped_rate(rate_per_second, paid_broadcast, rate_ceiling)
        self.db = db
        self.bot = bot
        self.rate_per_second = rate_per_second
        self.paid_broadcast = paid_broadcast
        self.clock = clock
        self.backoff = Backoff(max_attempts, first=backoff_seconds, longest=max_backoff_seconds)
        self.stop_grace = stop_grace
        self.shared_outbox = shared_outbox
        self.lease = SHARED_LEASE if shared_outbox else claims.LEASE
        self.budget = budget  # the rate shared with other processes, when there are
        self.pacer = GlobalPacer(rate_per_second, headroom=headroom)
        # spacing, when given, replaces chat_interval and group_per_minute (a test watches its waits)
        self.spacing = spacing if spacing is not None else ChatSpacing(
            chat_interval=chat_interval, group_per_minute=group_per_minute)
        self.window = max(1, min(MAX_WINDOW, math.floor(rate_per_second * CLAIM_HORIZON)))
        self._requests = asyncio.Semaphore(max_in_flight)
        self.messages_sent = 0
        self.flood_waits = 0
        self._outcomes: list[Outcome] = []  # recorded by the next flush
        self._busy_chats: set[int] = set()  # chats with a job running: none of theirs is claimed
        self._cooling_chats: list[int] = []  # chats the last claim found waiting for their limit
        self._last_flush = time.monotonic()
        self._jobs_in_flight: dict[asyncio.Task[None], Job] = {}  # their leases are renewed
        self._renewed_at = self._reaped_at = time.monotonic()
        self._pausing: asyncio.Task[None] | None = None  # telling other processes of a 429
        self._stop: asyncio.Event | None = None  # set by run(): once set, nothing new goes on the wire

    # -- public ---------------------------------------------------------------------------------


    def recover_in_flight(self) -> int:
        """Queue again rows a dead process left 'sending'; each gets one more try at most.

        A sender alone on its outbox takes back every such row; with shared_outbox (several
        senders on one PostgreSQL) only rows whose claim lease ran out.
        """
        lease_ended_by = self.clock() if self.shared_outbox else None
        recovered = recovery.recover_in_flight(self.db, lease_ended_by=lease_ended_by)
        if recovered:
            logger.warning("requeued %d deliveries that were in flight when a process stopped", recovered)
        return recovered

    async def drain_once(self) -> int:
        """Send what is due now; return the number of messages (and edits) sent."""
        return await self._drain(None)

    async def run(self, stop: asyncio.Event, *, wake: asyncio.Event | None = None) -> None:
        """Send until stop is set; wake (set after new work is committed) ends a wait at once."""
        self._stop = stop
        await asyncio.to_thread(self.recover_in_flight)
        # Everything alive now (modules, the application) lives as long as the process: keeping it
        # out of the collector's full passes keeps those pauses short, and sends evenly spaced.
        gc.freeze()
        wake = wake or asyncio.Event()
        while not stop.is_set():
            wake.clear()
            try:
                await self._maintain_leases()
                await self._drain(stop)
                delay = await asyncio.to_thread(self._seconds_to_wait)
            except DBAPIError as exc:
                logger.error("outbox unavailable, retrying in %.0fs: %s", IDLE_POLL, exc.orig)
                delay = IDLE_POLL
            await _wait_any((stop, wake), delay)

    # -- the drain loop -------------------------------------------------------------------------

    async def _drain(self, stop: asyncio.Event | None) -> int:
        sent_before = self.messages_sent
        inflight: set[asyncio.Task[None]] = set()
        job_ended = asyncio.Event()

        def finished(task: asyncio.Task[None]) -> None:
            inflight.discard(task)
            self._jobs_in_flight.pop(task, None)
            job_ended.set()

        try:
            while stop is None or not stop.is_set():
                if len(inflight) <= self.window // 2 and not self.pacer.is_paused():
                    await self._flush()
                    if len(self.spacing) > 10 * MAX_WINDOW:
                        self.spacing.prune()
                    claimed = await asyncio.to_thread(
                        self._claim, self.window - len(inflight), set(self._busy_chats)
                    )
                    for job in claimed:
                        self._busy_chats.add(job.chat_id)
                        task = asyncio.create_task(self._run_job(job))
                        inflight.add(task)
                        self._jobs_in_flight[task] = job
                        task.add_done_callback(finished)
                if not inflight:
                    wait = self._short_cooling_wait()
                    if wait is None:
                        break
                    await _wait_any([stop] if stop else [], wait)
                    continue
                # Wake when a job ends (one callback each: no scan of every job in flight).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(FLUSH_INTERVAL):
                        await job_ended.wait()
                job_ended.clear()
                if time.monotonic() - self._last_flush >= FLUSH_INTERVAL:
                    await self._flush()
                if stop is not None:  # a running sender, not a single drain
                    await self._maintain_leases()
        finally:
            await self._settle(inflight)
            await self._flush()
        return self.messages_sent - sent_before

    async def _maintain_leases(self) -> None:
        """With a shared outbox: renew the leases of the jobs running here, and now and then take
        back rows whose lease ran out (their process died)."""
        if not self.shared_outbox:
            return
        now = time.monotonic()
        if now - self._renewed_at >= LEASE_RENEWAL:
            self._renewed_at = now
            running = [d for job in self._jobs_in_flight.values() for d in job.delivery_ids]
            if running:
                await asyncio.to_thread(claims.renew_leases, self.db, running, self.clock() + self.lease)
        if now - self._reaped_at >= REAP_INTERVAL:
            self._reaped_at = now
            await asyncio.to_thread(self.recover_in_flight)

    def _claim(self, limit: int, busy_chat_ids: set[int]) -> list[Job]:
        claim = claims.claim_jobs(
            self.db, now=self.clock(), limit=limit, chat_ready=self.spacing.is_ready,
            busy_chat_ids=busy_chat_ids, lease=self.lease,
        )
        self._cooling_chats = claim.cooling_chats
        return claim.jobs

    async def _settle(self, inflight: set[asyncio.Task[None]]) -> None:
        """Let requests on the wire finish for a moment, then cancel the rest (they requeue)."""
        if not inflight:
            return
        _, pending = await asyncio.wait(inflight, timeout=self.stop_grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._outcomes:
            return
        outcomes, self._outcomes = self._outcomes, []
        try:
            await asyncio.to_thread(record_outcomes, self.db, outcomes)
        except DBAPIError:
            self._outcomes = outcomes + self._outcomes  # written on the next flush
            raise

    def _short_cooling_wait(self) -> float | None:
        """Return how long until a chat that has due alerts may get them, if that is soon."""
        if not self._cooling_chats:
            return None
        ready = min(self.spacing.ready_at(chat) for chat in self._cooling_chats)
        wait = max(0.0, ready - time.monotonic())
        return wait if wait <= COOLING_WAIT else None

    def _seconds_to_wait(self) -> float:
        delay = IDLE_POLL
        due = recovery.seconds_until_next_due(self.db, self.clock())
        if due is not None:
            delay = min(delay, due)
        if self._cooling_chats:
            ready = min(self.spacing.ready_at(chat) for chat in self._cooling_chats)
            delay = min(delay, max(0.0, ready - time.monotonic()))
        pause = self.pacer.paused_until - time.monotonic()
        return max(delay, pause, 0.0)

    # -- one job --------------------------------------------------------------------------------

    async def _run_job(self, job: Job) -> None:
        run = JobRun(job)
        try:
            if job.edit is not None:
                await self._edit(run, job.edit)
            else:
                await self._send(run)
        except asyncio.CancelledError:
            rest = run.unsettled()
            if rest.delivery_ids:
                self._outcomes.append(
                    Retry(rest.delivery_ids, self.clock(), None, count_attempt=False, in_doubt=run.on_the_wire)
                )
            raise
        except Exception:  # one job's bug must not stop the others
            logger.exception("delivery job failed chat=%s deliveries=%s", job.chat_id, job.delivery_ids)
            self._retry_later(job, "internal error while sending")
        finally:
            self._busy_chats.discard(job.chat_id)

    async def _send(self, run: JobRun) -> None:
        job = run.job
        for n, composed in enumerate(run.compose()):
            silent = job.is_silent(composed.sources)
            result = await self._request(run, "sendMessage", partial(self._send_text, job, composed.text, silent))
            if isinstance(result, Fault) and result.kind is FaultKind.REJECTED:
                run.settled |= await self._refused(run, composed.sources, result)
                continue
            if isinstance(result, Fault):
                await self._handle_fault(run.unsettled(), result)
                return
            self._outcomes.extend(run.delivered(n, composed, result.message_id, self.clock()))
        unsent = run.unsent_positions()
        if unsent:  # nothing to carry them (should not happen): try again rather than leave them in flight
            logger.error("deliveries left out of every message chat=%s: %s", job.chat_id, sorted(unsent))
            self._retry_later(run.unsettled(), "left out of the composed messages")

    async def _refused(self, run: JobRun, sources: tuple[int, ...], fault: Fault) -> set[int]:
        """Telegram refused a message: fail the alert it held, or, when it held several, send each
        on its own so only the one at fault fails. Return the positions now settled."""
        job = run.job
        refused = [i for i in sources if i not in run.settled]
        carried = [i for i in refused if not job.folded[i]]
        riders = [i for i in refused if job.folded[i]]
        everyone = set(range(len(job.delivery_ids)))
        if len(carried) > 1:
            for index in carried:
                await self._send(JobRun(job.without(everyone - {index})))
        elif carried:
            logger.error("Telegram refused a message chat=%s: %s", job.chat_id, fault.description)
            self._outcomes.append(Failed((job.delivery_ids[carried[0]],), fault.description))
        if riders:  # notices folded into a refused result: next time they go out on their own
            self._retry_later(job.without(everyone - set(riders)), fault.description)
        return set(refused)

    async def _edit(self, run: JobRun, plan: EditPlan) -> None:
        job = run.job
        result = await self._request(run, "editMessageText", partial(self._edit_text, job, plan))
        if isinstance(result, Fault) and result.kind is FaultKind.EDIT_TARGET_GONE:
            logger.info("message to correct is gone chat=%s: sending the correction anew", job.chat_id)
            run.job = job.as_new_message()
            await self._send(run)
            return
        if isinstance(result, Fault) and result.kind is not FaultKind.EDIT_UNCHANGED:
            await self._handle_fault(job, result)
            return
        self._outcomes.append(
            Edited(job.delivery_ids[0], plan.message_id, plan.revised_delivery_ids, self.clock())
        )

    async def _request(self, run: JobRun, method: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """Make one call once the limits allow; wait out 429s here; return its result or a Fault."""
        chat_id = run.job.chat_id
        for _ in range(MAX_FLOOD_RETRIES):
            await self.spacing.wait(chat_id)
            async with self._requests, self.pacer.slot():
                if self.budget is not None:
                    await self.budget.take()  # the slot other processes leave free
                if self._stop is not None and self._stop.is_set():
                    raise asyncio.CancelledError  # stopping: the job goes back to the queue unsent
                self.spacing.record(chat_id)
                run.on_the_wire = True
                fault: Fault | None = None
                try:
                    result = await call()
                except TelegramError as error:
                    fault = classify(error)
                finally:
                    self.spacing.finished(chat_id)
            if fault is None:
                self.messages_sent += 1
                return result
            if fault.kind is not FaultKind.FLOOD:
                return fault
            self._note_flood(fault, method)
        return Fault(FaultKind.FLOOD, "RetryAfter: flood control kept refusing this message")

    async def _send_text(self, job: Job, text: str, silent: bool = False) -> Message:
        return await self.bot.send_message(
            job.chat_id, text, parse_mode=ParseMode.HTML, link_preview_options=_NO_PREVIEW,
            allow_paid_broadcast=True if self.paid_broadcast else None,
            disable_notification=True if silent else None,
        )

    async def _edit_text(self, job: Job, plan: EditPlan) -> Message | bool:
        return await self.bot.edit_message_text(
            plan.text, chat_id=job.chat_id, message_id=plan.message_id,
            parse_mode=ParseMode.HTML, link_preview_options=_NO_PREVIEW,
        )

    def _note_flood(self, fault: Fault, method: str) -> None:
        self.flood_waits += 1
        self.pacer.pause(fault.retry_after)
        if self.budget is not None:
            self._pausing = asyncio.create_task(self.budget.pause(fault.retry_after))
        self._outcomes.append(FloodSeen(self.clock(), fault.retry_after, method))
        logger.warning("Telegram flood control: every send paused for %.1fs", fault.retry_after)

    # -- outcomes -------------------------------------------------------------------------------

    async def _handle_fault(self, job: Job, fault: Fault) -> None:
        if not job.delivery_ids:
            return
        if fault.kind is FaultKind.CHAT_GONE:
            logger.info("chat %s is gone (%s): cancelling what waits for it", job.chat_id, fault.description)
            self._outcomes.append(ChatGone(job.chat_pk, job.delivery_ids, fault.description))
        elif fault.kind is FaultKind.CHAT_MIGRATED and fault.new_chat_id is not None:
            logger.info("chat %s moved to %s: resending there", job.chat_id, fault.new_chat_id)
            self.spacing.forget(job.chat_id)
            # Written now, not batched: the resend must find the new id.
            await self._flush()
            await asyncio.to_thread(
                recovery.migrate_chat, self.db, job.chat_pk, fault.new_chat_id, job.delivery_ids,
                self.clock(),
            )
        elif fault.kind is FaultKind.FLOOD:
            self._outcomes.append(Retry(job.delivery_ids, self.clock(), fault.description, count_attempt=False))
        elif fault.kind is FaultKind.REJECTED:  # an edit Telegram refuses
            logger.error("Telegram rejected a message chat=%s: %s", job.chat_id, fault.description)
            self._outcomes.append(Failed(job.delivery_ids, fault.description))
        else:
            self._retry_later(job, fault.description)

    def _retry_later(self, job: Job, error: str) -> None:
        attempt = job.attempts + 1
        delay = self.backoff.delay(attempt)
        if delay is None:
            logger.warning("giving up after %d attempts chat=%s: %s", attempt, job.chat_id, error)
            self._outcomes.append(Failed(job.delivery_ids, error))
            return
        self._outcomes.append(Retry(job.delivery_ids, self.clock() + timedelta(seconds=delay), error))


def _capped_rate(rate_per_second: float, paid_broadcast: bool, rate_ceiling: float | None) -> float:
    """Return the rate, at most the ceiling: Telegram's published one, or a loopback server's own."""
    ceiling = rate_ceiling or (PAID_RATE_CEILING if paid_broadcast else FREE_RATE_CEILING)
    if rate_per_second > ceiling:
        logger.warning("rate %.0f/s is over Telegram's %.0f/s: using %.0f/s", rate_per_second, ceiling, ceiling)
        return ceiling
    return rate_per_second


async def _wait_any(events: Sequence[asyncio.Event], timeout: float) -> None:
    if not events:
        await asyncio.sleep(timeout)
        return
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
