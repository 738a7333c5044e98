"""Commands and replies under load: a per-chat command limit, updates of different chats handled
side by side (one chat's in order), and replies paced per chat so one chat's 429 waits alone.

python-telegram-bot's default handles one update at a time and its AIORateLimiter pauses every
request on any 429; here a chat that floods the bot slows down only itself (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from typing import Any

from telegram import Chat, Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter, BaseUpdateProcessor

logger = logging.getLogger(__name__)

COMMANDS_PER_MINUTE = 20  # per chat; the next one gets FLOOD_WARNING, later ones nothing
# Button presses have their own, wider window: paging through /settings takes a dozen presses, and
# a chat that has used its commands may still press the buttons of the menu it has.
BUTTON_PRESSES_PER_MINUTE = 60
FLOOD_WINDOW_SECONDS = 60.0
FLOOD_WARNING = ("🐢 That's a lot of commands at once. I'll answer again in a minute; "
                 "commands sent until then are ignored.")
# Updates of different chats handled at the same time. Few: their database work shares a handful of
# worker threads (and SQLite one writer), and a chat waiting for its own pace holds no slot of another.
MAX_CONCURRENT_UPDATES = 8
_WAITING_UPDATES = 10_000  # updates python-telegram-bot may hand over at once (waiting for a slot)
# Telegram: about one message a second per chat (short bursts pass), 20 a minute per group.
CHAT_BURST, CHAT_BURST_SECONDS = 3, 3.0
GROUP_PER_MINUTE = 20
OVERALL_MARGIN_SECONDS = 0.05
_PACED_PREFIXES = ("send", "copy", "forward")  # message sends; sendChatAction is no message
_IDLE_CHATS_KEPT = 4096


# The slot of the update being handled: a reply waiting for its chat's pace gives it back meanwhile,
# so chats waiting for their own limits never hold up the others.
_SLOT: contextvars.ContextVar[asyncio.Semaphore | None] = contextvars.ContextVar("update_slot", default=None)


class Admission(Enum):
    ANSWER = "answer"
    WARN = "warn"  # the first command over the limit: one polite warning
    IGNORE = "ignore"  # later ones, until the window has passed


@dataclass
class _ChatWindow:
    started: float
    count: int = 0


class CommandFlood:
    """At most `limit` commands per chat in a window of `seconds` that starts at its first command."""

    def __init__(self, *, limit: int = COMMANDS_PER_MINUTE, seconds: float = FLOOD_WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.seconds, self.clock = limit, seconds, clock
        self._windows: dict[int, _ChatWindow] = {}

    def admit(self, chat_id: int) -> Admission:
        now = self.clock()
        window = self._windows.get(chat_id)
        if window is None or now - window.started >= self.seconds:
            if len(self._windows) >= _IDLE_CHATS_KEPT:
                self._windows = {c: w for c, w in self._windows.items() if now - w.started < self.seconds}
            window = self._windows[chat_id] = _ChatWindow(now)
        window.count += 1
        if window.count <= self.limit:
            return Admission.ANSWER
        return Admission.WARN if window.count == self.limit + 1 else Admission.IGNORE


def counts_as_command(update: Update, bot_username: str, known: Collection[str]) -> bool:
    """Return True for what the bot answers: a button press, a new message in a private chat, a
    command of ours in a group (a bare /roll there is meant for another bot)."""
    if update.callback_query is not None:
        return True
    message = update.message
    if message is None or update.effective_chat is None:
        return False
    if update.effective_chat.type == Chat.PRIVATE:
        return True
    text = message.text or ""
    if not text.startswith("/"):
        return False
    name, _at, addressee = text.split(maxsplit=1)[0][1:].partition("@")
    if addressee:
        return addressee.lower() == bot_username.lower()
    return name.lower() in known


class ChatOrderedUpdates(BaseUpdateProcessor):
    """Handle updates of different chats concurrently and each chat's one after another, in order;
    a chat over its command limit is warned once, then ignored until its minute has passed."""

    def __init__(self, flood: CommandFlood, known_commands: Collection[str], *,
                 button_flood: CommandFlood | None = None,
                 max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(_WAITING_UPDATES)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self.flood = flood
        self.button_flood = button_flood or CommandFlood(limit=BUTTON_PRESSES_PER_MINUTE)
        self.known_commands = frozenset(known_commands)
        self.warned = 0  # warnings sent, for logs and tests
        self.ignored = 0  # commands turned away after the warning
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None or not isinstance(update, Update):
            await coroutine
            return
        admission = Admission.ANSWER
        if counts_as_command(update, update.get_bot().username or "", self.known_commands):
            flood = self.button_flood if update.callback_query is not None else self.flood
            admission = flood.admit(chat.id)  # decided in arrival order, before any wait
        if admission is Admission.IGNORE:
            self.ignored += 1
            _close(coroutine)
            return
        lock, users = self._locks.get(chat.id, (asyncio.Lock(), 0))
        self._locks[chat.id] = (lock, users + 1)
        try:
            async with lock, self._slots:  # in the chat's order; a slot only once it is its turn
                token = _SLOT.set(self._slots)
                try:
                    if admission is Admission.WARN:
                        _close(coroutine)
                        await self._warn(update, chat.id)
                    else:
                        await coroutine
                finally:
                    _SLOT.reset(token)
        finally:
            lock, users = self._locks[chat.id]
            if users <= 1:
                del self._locks[chat.id]
            else:
                self._locks[chat.id] = (lock, users - 1)

    async def _warn(self, update: Update, chat_id: int) -> None:
        logger.info("chat=%s is over %d commands a minute: warned, then ignored", chat_id, self.flood.limit)
        self.warned += 1
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(FLOOD_WARNING, show_alert=True)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(FLOOD_WARNING)
        except TelegramError as exc:
            logger.warning("could not send the flood warning to chat=%s: %s", chat_id, exc)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""


def _close(coroutine: Awaitable[Any]) -> None:
    if isinstance(coroutine, Coroutine):
        coroutine.close()  # never started: close it so it is not reported as never awaited


class SlidingWindow:
    """At most `limit` events in any `seconds`-long span, as Telegram counts."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float]) -> None:
        self.limit, self.seconds, self.clock = limit, seconds, clock
        self.times: deque[float] = deque()

    def delay(self) -> float:
        now = self.clock()
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[-self.limit] + self.seconds - now

    def record(self) -> None:
        self.times.append(self.clock())


def window_for(rate_per_second: float, clock: Callable[[], float]) -> SlidingWindow:
    """A window of a little over a second (requests are counted as they leave, Telegram counts
    them as they arrive) for rates of one a second and more, a longer one below."""
    if rate_per_second >= 1:
        return SlidingWindow(int(rate_per_second), 1.0 + OVERALL_MARGIN_SECONDS, clock)
    return SlidingWindow(1, 1.0 / rate_per_second + OVERALL_MARGIN_SECONDS, clock)


@dataclass
class _ChatPace:
    windows: list[SlidingWindow]
    resume_at: float = 0.0  # a 429 for this chat: its sends wait until then
    last_used: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ChatPacedRateLimiter(BaseRateLimiter[int]):
    """python-telegram-bot's rate limiter for command replies: an overall rate, and per chat
    Telegram's pace (a burst of three, then one a second; 20 a minute in a group). A 429 pauses
    only the chat it names (every chat when it names none) and the request is retried up to
    max_retries times; other chats' replies go on."""

    def __init__(self, overall_per_second: float, *, max_retries: int = 3,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.max_retries = max_retries
        self._overall = window_for(overall_per_second, clock)
        self._overall_resume_at = 0.0
        self._chats: dict[int | str, _ChatPace] = {}
        self.retries_after_429 = 0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self, callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any, kwargs: dict[str, Any], endpoint: str, data: dict[str, Any], rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        paced = (isinstance(chat_id, int | str) and endpoint.lower().startswith(_PACED_PREFIXES)
                 and endpoint.lower() != "sendchataction")
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        attempt = 0
        while True:
            pace = self._pace(chat_id) if paced and chat_id is not None else None
            try:
                if pace is None:
                    return await self._send(callback, args, kwargs)
                async with pace.lock:  # one chat's sends one by one, each counted once answered
                    await self._wait_turn(pace.windows, pace)
                    try:
                        return await self._send(callback, args, kwargs)
                    finally:
                        for window in pace.windows:
                            window.record()
            except RetryAfter as exc:
                if attempt >= retries:
                    raise
                attempt += 1
                self.retries_after_429 += 1
                wait = _seconds(exc.retry_after) + 0.1
                logger.info("429 on %s chat=%s: that chat waits %.1fs", endpoint, chat_id, wait)
                if pace is not None:
                    pace.resume_at = max(pace.resume_at, self.clock() + wait)
                elif chat_id is not None:
                    await asyncio.sleep(wait)  # an unpaced call to one chat: only this request waits
                else:
                    self._overall_resume_at = max(self._overall_resume_at, self.clock() + wait)

    async def _send(self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any,
                    kwargs: dict[str, Any]) -> Any:
        await self._wait_turn([self._overall], None)
        self._overall.record()
        return await callback(*args, **kwargs)

    async def _wait_turn(self, windows: list[SlidingWindow], pace: _ChatPace | None) -> None:
        while True:
            resume_at = pace.resume_at if pace is not None else self._overall_resume_at
            delay = max([resume_at - self.clock(), *(w.delay() for w in windows)])
            if delay <= 0:
                return
            if pace is not None:
                await _sleep_without_slot(delay)
            else:
                await asyncio.sleep(delay)

    def _pace(self, chat_id: int | str) -> _ChatPace:
        now = self.clock()
        pace = self._chats.get(chat_id)
        if pace is None:
            if len(self._chats) >= _IDLE_CHATS_KEPT:
                idle = [c for c, p in self._chats.items() if now - p.last_used > 60 and not p.lock.locked()]
                for chat in idle:
                    del self._chats[chat]
            windows = [SlidingWindow(CHAT_BURST, CHAT_BURST_SECONDS, self.clock)]
            if isinstance(chat_id, str) or chat_id < 0:
                windows.append(SlidingWindow(GROUP_PER_MINUTE, 60.0, self.clock))
            pace = self._chats[chat_id] = _ChatPace(windows)
        pace.last_used = now
        return pace


async def _sleep_without_slot(seconds: float) -> None:
    """Sleep, giving the update's slot to another chat meanwhile (see ChatOrderedUpdates)."""
    slot = _SLOT.get()
    if slot is None:
        await asyncio.sleep(seconds)
        return
    slot.release()
    try:
        await asyncio.sleep(seconds)
    finally:
        await slot.acquire()


def _seconds(retry_after: float | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
