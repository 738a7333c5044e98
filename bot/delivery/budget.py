"""One send rate for every process on a PostgreSQL database (or a Redis): slots handed out from one
row (or key).

    budget = SharedSendBudget(engine, rate_per_second=25)   # or SharedSendBudget(RedisLedger(url), ...)
    await budget.take()            # returns at this process's next slot of the shared schedule
    budget.pause(retry_after)      # a 429: every process waits it out

The row `send_budget('telegram')` (with REDIS_URL: the key `earnings-bot:send-budget:telegram`)
holds the moment the next free slot starts. A process reserves slots in one statement (GCRA across
processes): the row moves on by n intervals from max(itself, now), and the slots are the n intervals
it moved over. Times come from the server's clock, so processes on several hosts need no clock in
common; each turns the slots into its own monotonic time with the offset read in the same
statement. Slots are evenly spaced over every process together, so no window of Telegram's holds
more than the rate.

A slot used late would bunch with the next ones: one not used within LATE_TOLERANCE of its time is
thrown away (the rate stays under the limit; a slot is lost, not a send). Reservations are small
(the callers waiting now, at most BATCH_SECONDS of sends), so a process that claims little takes
little of the rate.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

import redis
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)

BUDGET_NAME = "telegram"
# Slots 5% further apart than the rate: a send that reaches Telegram up to 50 ms late (a process or
# the network stalled) still leaves every second within the rate. Also when a process believes it
# is alone: the count of processes is read every few seconds, so a process that has just started
# may already send while the others still count themselves alone (a run of slots 2% apart and one
# slot used late held 26 sends in one second at a limit of 25).
SHARED_HEADROOM = 0.05
LATE_TOLERANCE = 0.02  # seconds a slot may be used after its time
BATCH_SECONDS = 0.2  # a reservation covers this much of the rate at most
LEDGER_RETRY_SECONDS = 1.0  # the ledger did not answer: ask again this much later

_RESERVE = text("""
    INSERT INTO send_budget (name, next_slot_at)
    VALUES (:name, clock_timestamp() + make_interval(secs => :span))
    ON CONFLICT (name) DO UPDATE
    SET next_slot_at = GREATEST(send_budget.next_slot_at, clock_timestamp()) + make_interval(secs => :span)
    RETURNING EXTRACT(EPOCH FROM next_slot_at - clock_timestamp())
""")
_PAUSE = text("""
    INSERT INTO send_budget (name, next_slot_at)
    VALUES (:name, clock_timestamp() + make_interval(secs => :seconds))
    ON CONFLICT (name) DO UPDATE
    SET next_slot_at = GREATEST(send_budget.next_slot_at, clock_timestamp() + make_interval(secs => :seconds))
""")


# KEYS[1]: the next free slot (seconds since the epoch, Redis's clock); ARGV[1]: the span reserved.
# Returns how far from now the reserved span ends, as text (Redis would cut a Lua number to an integer).
_REDIS_RESERVE = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local next_slot = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now) + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.6f', next_slot), 'EX', 86400)
return string.format('%.6f', next_slot - now)
"""
# ARGV[1]: seconds from now before which no slot starts.
_REDIS_PAUSE = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local next_slot = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now + tonumber(ARGV[1]))
redis.call('SET', KEYS[1], string.format('%.6f', next_slot), 'EX', 86400)
return 1
"""
REDIS_KEY_PREFIX = "earnings-bot:send-budget:"
CHECK_NAME = "start-check"  # the key `run` moves by nothing at start, to see that Redis takes the script


class BudgetLedger(Protocol):
    """Where the shared schedule's next free slot is kept."""

    def reserve(self, name: str, span: float) -> float:
        """Move the next free slot on by span seconds; return how far from now the span ends."""
        ...

    def pause(self, name: str, seconds: float) -> None:
        """Start no slot before `seconds` from now."""
        ...


class DatabaseLedger:
    """The schedule in the database's `send_budget` table (PostgreSQL)."""

    def __init__(self, db: Engine) -> None:
        self.db = db

    def reserve(self, name: str, span: float) -> float:
        with self.db.begin() as connection:
            return float(connection.execute(_RESERVE, {"name": name, "span": span}).scalar_one())

    def pause(self, name: str, seconds: float) -> None:
        with self.db.begin() as connection:
            connection.execute(_PAUSE, {"name": name, "seconds": float(seconds)})


class RedisLedger:
    """The schedule in one Redis key (REDIS_URL), moved by a script so each reservation is atomic."""

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._reserve = self.client.register_script(_REDIS_RESERVE)
        self._pause = self.client.register_script(_REDIS_PAUSE)

    def check(self) -> None:
        """Raise redis.RedisError unless the server runs the reservation script: it answers, takes
        writes (not a read-only replica) and lets this user run scripts (its ACL)."""
        self.reserve(CHECK_NAME, 0.0)

    def reserve(self, name: str, span: float) -> float:
        return float(self._reserve(keys=[REDIS_KEY_PREFIX + name], args=[f"{span:.6f}"]))

    def pause(self, name: str, seconds: float) -> None:
        self._pause(keys=[REDIS_KEY_PREFIX + name], args=[f"{float(seconds):.6f}"])

    def close(self) -> None:
        self.client.close()


class SharedSendBudget:
    """Send slots shared through the database or Redis; see the module docstring."""

    def __init__(
        self, store: Engine | BudgetLedger, *, rate_per_second: float, headroom: float = SHARED_HEADROOM,
        name: str = BUDGET_NAME, monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self.ledger: BudgetLedger = DatabaseLedger(store) if isinstance(store, Engine) else store
        self.name = name
        self.rate_per_second = rate_per_second
        self.interval = (1.0 + headroom) / rate_per_second
        self.max_batch = max(1, math.floor(rate_per_second * BATCH_SECONDS))
        self._monotonic = monotonic
        self._slots: deque[float] = deque()  # reserved slot times, this process's monotonic clock
        self._turn = asyncio.Lock()  # callers take slots in the order they asked
        self._waiting = 0
        self.reserved = self.used = self.wasted = 0
        self.processes = 0  # as last told by the election; 0: not known yet
        self.unavailable = False  # the ledger failed at the last reservation

    def processes_sending(self, count: int) -> None:
        """How many processes share the database now (for the logs): the slots' spacing stays the
        same, alone or not (SHARED_HEADROOM says why)."""
        if count != self.processes:
            logger.info("send budget shared by %d process(es)", count)
        self.processes = count

    async def take(self) -> None:
        """Wait for this process's next slot of the shared schedule."""
        self._waiting += 1
        try:
            async with self._turn:
                while True:
                    slot = await self._next_slot()
                    delay = slot - self._monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    if self._monotonic() - slot <= LATE_TOLERANCE:
                        break
                    self.wasted += 1  # the loop woke too late: this slot would bunch with the next
                self.used += 1
        finally:
            self._waiting -= 1

    async def _next_slot(self) -> float:
        while True:
            now = self._monotonic()
            while self._slots and self._slots[0] < now - LATE_TOLERANCE:
                self._slots.popleft()
                self.wasted += 1
            if self._slots:
                return self._slots.popleft()
            try:
                await asyncio.to_thread(self._reserve, min(self.max_batch, self._waiting))
            except (redis.RedisError, DBAPIError) as exc:
                # no slot without the shared schedule: sends wait (never over the rate) until it is back
                if not self.unavailable:
                    logger.error("send budget unavailable, sends wait until it answers: %s", _reason(exc))
                self.unavailable = True
                await asyncio.sleep(LEDGER_RETRY_SECONDS)
                continue
            if self.unavailable:
                logger.info("send budget answers again")
                self.unavailable = False

    def _reserve(self, count: int) -> None:
        count = max(1, count)
        span = count * self.interval
        asked = self._monotonic()
        ends_in = self.ledger.reserve(self.name, span)
        answered = self._monotonic()
        # the server read its clock between asking and answering: the midpoint errs least
        start = (asked + answered) / 2 + ends_in - span
        self._slots.extend(start + i * self.interval for i in range(count))
        self.reserved += count

    async def pause(self, seconds: float) -> None:
        """Push every process's next slot `seconds` from now (Telegram said retry_after)."""
        self._slots.clear()
        try:
            await asyncio.to_thread(self.ledger.pause, self.name, seconds)
        except (redis.RedisError, DBAPIError) as exc:  # this process still waits it out (its pacer)
            logger.error("send budget unavailable, the pause is this process's alone: %s", _reason(exc))


def _reason(exc: Exception) -> str:
    """What failed, without the URL (it may hold a password): the error's kind and the driver's words."""
    if isinstance(exc, DBAPIError):
        return f"{type(exc.orig).__name__}: {str(exc.orig).splitlines()[0] if str(exc.orig) else ''}"
    return f"{type(exc).__name__}: {exc}"
