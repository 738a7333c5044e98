"""Flood-limit throttles: a global pacer with a 429 pause, and per-chat / per-group spacing.

Times here are `time.monotonic()` seconds. Everything runs on one event loop, so no locks are needed:
a caller reserves the next free slot synchronously and then sleeps until it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]

# Telegram counts by its own clock; requests started evenly here may arrive a little bunched.
DEFAULT_HEADROOM = 0.01


class GlobalPacer:
    """Space sends evenly at `rate` per second (a token bucket of one token) and honour 429 pauses.

    Slots are handed out first come, first served, so the order of callers is the order of sends.
    """

    def __init__(
        self,
        rate_per_second: float,
        *,
        headroom: float = DEFAULT_HEADROOM,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self.rate_per_second = rate_per_second
        self.interval = (1.0 + headroom) / rate_per_second
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_free = 0.0
        self.paused_until = 0.0

    async def acquire(self) -> None:
        """Wait for the next send slot; a pause that starts meanwhile is waited out too."""
        while True:
            now = self._monotonic()
            slot = max(now, self._next_free, self.paused_until)
            self._next_free = slot + self.interval
            if slot > now:
                await self._sleep(slot - now)
            if self._monotonic() >= self.paused_until:
                return

    def pause(self, seconds: float) -> None:
        """Stop every send for `seconds` (a 429's retry_after); resume at the steady rate after."""
        until = self._monotonic() + seconds
        if until > self.paused_until:
            self.paused_until = until
            self._next_free = until

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
