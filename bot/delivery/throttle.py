"""Flood-limit throttles: a global pacer with a 429 pause, and per-chat / per-group spacing.

Times here are `time.monotonic()` seconds. Everything runs on one event loop, so no locks are needed:
a caller takes a ticket and the next free slot synchronously, then sleeps until the slot.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

Sleep = Callable[[float], Awaitable[None]]

# Requests started evenly here may reach Telegram a little bunched; 2% keeps them under the limit.
DEFAULT_HEADROOM = 0.02


class _Permit:
    """One send counted against the window: from its start until `window` after its answer."""

    __slots__ = ("done", "finished_at")

    def __init__(self) -> None:
        self.finished_at: float | None = None
        self.done = asyncio.Event()


class GlobalPacer:
    """Pace every send under `rate` per `window` seconds and honour 429 pauses.

    Two rules together. Sends start evenly spaced (a token bucket of one token), which alone
    keeps Telegram's count under the rate while nothing stalls. And a send counts against the
    window from its start until `window` seconds after its answer: Telegram sees each request at
    some moment in between, so however a stall or a slow request bunches them on the way, no window
    of Telegram's ever holds more than `rate` of them. Slots go first come, first served.

        async with pacer.slot():
            await bot.send_message(...)
    """

    def __init__(
        self,
        rate_per_second: float,
        *,
        headroom: float = DEFAULT_HEADROOM,
        window: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self.rate_per_second = rate_per_second
        self.interval = (1.0 + headroom) / rate_per_second
        self.window = window
        self._capacity = max(1, math.floor(rate_per_second * window))
        self._counted: deque[_Permit] = deque()
        self._next_ticket = 0  # callers are served strictly in the order they asked
        self._serving = 0
        self._turns: dict[int, asyncio.Future[None]] = {}
        self._abandoned: set[int] = set()
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_free = 0.0
        # GCRA: the theoretical time of the next send, and how far ahead of it one may go.
        self._theoretical = 0.0
        self._tolerance = max(1, math.floor(rate_per_second * headroom / 2)) * self.interval
        self.paused_until = 0.0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for the next send slot (and out any pause); hold it while the request runs."""
        permit = await self._acquire()
        try:
            yield
        finally:
            permit.finished_at = self._monotonic()
            permit.done.set()

    async def _acquire(self) -> _Permit:
        # A ticket fixes each caller's turn when it asks: one that wakes late (the loop stalled)
        # can't be overtaken by a caller that came after it. The slot wait happens outside the
        # turn, so waits overlap and the schedule keeps its pace.
        ticket = self._next_ticket
        self._next_ticket += 1
        try:
            now = self._monotonic()
            slot = max(now, self._next_free, self.paused_until)
            self._next_free = slot + self.interval
            if slot > now:
                await self._sleep(slot - now)
            if ticket != self._serving:
                turn = self._turns[ticket] = asyncio.get_running_loop().create_future()
                await turn
            return await self._admit()
        finally:
            self._pass_turn(ticket)

    async def _admit(self) -> _Permit:
        """Wait, holding the turn, until the pause, the catch-up limit and the window allow a send."""
        while True:
            now = self._monotonic()
            # Callers who woke late catch up by a slot or two, not all at once.
            ready_at = max(self.paused_until, self._theoretical - self._tolerance)
            if len(self._counted) >= self._capacity:
                oldest = self._counted[0]
                if oldest.finished_at is None:
                    await oldest.done.wait()
                    continue
                ready_at = max(ready_at, oldest.finished_at + self.window)
            if ready_at > now:
                await self._sleep(ready_at - now)
                continue
            if len(self._counted) >= self._capacity:
                self._counted.popleft()
            self._theoretical = max(self._theoretical, now) + self.interval
            permit = _Permit()
            self._counted.append(permit)
            return permit

    def _pass_turn(self, ticket: int) -> None:
        """Hand the turn on (a caller cancelled before its turn just gives its ticket up)."""
        self._turns.pop(ticket, None)
        if ticket != self._serving:
            self._abandoned.add(ticket)
            return
        self._serving += 1
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1
        turn = self._turns.get(self._serving)
        if turn is not None and not turn.done():
            turn.set_result(None)

    def pause(self, seconds: float) -> None:
        """Stop every send for `seconds` (a 429's retry_after); resume at the steady rate after."""
        until = self._monotonic() + seconds
        if until > self.paused_until:
            self.paused_until = until
            self._next_free = until
            self._theoretical = until

    def is_paused(self) -> bool:
        """Return True while a 429 pause is in force."""
        return self._monotonic() < self.paused_until


class ChatSpacing:
    """Keep at most one message per `chat_interval` per chat and `group_per_minute` per group.

    Group and channel ids are negative (Telegram's convention), so the sign picks the limit.
    """

    def __init__(
        self,
        *,
        chat_interval: float = 1.0,
        group_per_minute: int = 20,
        margin: float = 0.05,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.chat_interval = chat_interval + margin
        self.group_window = 60.0 + margin
        self.group_per_minute = group_per_minute
        self._monotonic = monotonic
        self._sleep = sleep
        self._last_send: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}

    def ready_at(self, chat_id: int) -> float:
        """Return the monotonic time at which chat_id may get its next message."""
        ready = self._last_send.get(chat_id, -1e18) + self.chat_interval
        sends = self._group_sends.get(chat_id)
        if sends is not None and len(sends) >= self.group_per_minute:
            ready = max(ready, sends[-self.group_per_minute] + self.group_window)
        return ready

    def is_ready(self, chat_id: int) -> bool:
        """Return True when a message to chat_id may go now."""
        return self.ready_at(chat_id) <= self._monotonic()

    async def wait(self, chat_id: int) -> None:
        """Sleep until chat_id may get its next message."""
        delay = self.ready_at(chat_id) - self._monotonic()
        if delay > 0:
            await self._sleep(delay)

    def record(self, chat_id: int) -> None:
        """Note that a message to chat_id is going out now."""
        now = self._monotonic()
        self._last_send[chat_id] = now
        if chat_id < 0:
            sends = self._group_sends.setdefault(chat_id, deque(maxlen=self.group_per_minute))
            sends.append(now)

    def finished(self, chat_id: int) -> None:
        """Note that the answer came: count the spacing from now, the latest Telegram saw it."""
        now = self._monotonic()
        if chat_id in self._last_send:
            self._last_send[chat_id] = now
        sends = self._group_sends.get(chat_id)
        if sends:
            sends[-1] = now

    def forget(self, chat_id: int) -> None:
        """Drop what is known about a chat (its id changed)."""
        self._last_send.pop(chat_id, None)
        self._group_sends.pop(chat_id, None)

    def prune(self) -> None:
        """Forget chats whose limits have lapsed, so memory stays flat across broadcasts."""
        now = self._monotonic()
        stale = now - self.chat_interval
        self._last_send = {chat: at for chat, at in self._last_send.items() if at > stale}
        horizon = now - self.group_window
        self._group_sends = {
            chat: sends for chat, sends in self._group_sends.items() if sends and sends[-1] > horizon
        }

    def __len__(self) -> int:
        return len(self._last_send)
