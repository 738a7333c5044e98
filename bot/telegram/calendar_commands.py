"""/upcoming and /next: parse, call one engine function, reply. A /next for a company with no stored date asks the calendars first, for a few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.market_time import utc_now
from bot.engine import calendar_view
from bot.store.db import LoopTransactions, ThreadedTransactions
from bot.telegram import calendar_replies
from bot.telegram.commands import COMPANY_LIST_WAIT_SECONDS, reply_long

logger = logging.getLogger(__name__)
T = TypeVar("T")
# How long /next waits for the calendars when no date is stored: the reply comes within 10 s. A
# read still running then goes on in the background and stores what it finds.
ASK_SECONDS = 7.0
REPLY_WITHIN_SECONDS = 9.0  # the whole /next, a wait for the company list in a deployment's first seconds included


class CalendarCommands:
    """/upcoming and /next."""

    def __init__(self, db: Engine, *, clock: Callable[[], datetime] = utc_now,
                 ask_calendars: Callable[[list[str]], asyncio.Future[Any] | None] | None = None,
                 company_list_loaded: asyncio.Event | None = None,
                 transactions: ThreadedTransactions | LoopTransactions | None = None) -> None:
        self.db = db
        self.transactions = transactions or ThreadedTransactions(db)
        self.clock = clock
        self.company_list_loaded = company_list_loaded  # set once the first load of SEC's list ended
        self.ask_calendars = ask_calendars  # starts reading these companies' next reports; its task

    async def _in_session(self, work: Callable[[Session], T]) -> T:
        return await self.transactions.run(work)

    async def upcoming_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The watchlist's reports in the next DAYS days (7 unless told), grouped by the chat's day."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        days = calendar_view.parse_days(context.args or [])
        if days is None:
            await message.reply_html(calendar_replies.UPCOMING_USAGE)
            return
        now = self.clock()
        found = await self.transactions.read(lambda s: calendar_view.upcoming(s, chat.id, now=now, days=days))
        await reply_long(message, calendar_replies.upcoming_reply(found))

    async def next_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any company's next report; the calendars are asked when none is stored."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        args = context.args or []
        if len(args) != 1:
            await message.reply_html(calendar_replies.NEXT_USAGE)
            return

        def look(session: Session) -> calendar_view.NextLookup:
            return calendar_view.next_report(session, chat.id, args[0], now=self.clock())

        started = asyncio.get_running_loop().time()
        found = await self._in_session(look)
        if not found.known and found.valid and await self._company_list_arrives():
            found = await self._in_session(look)  # asked in a deployment's first seconds
        if found.ticker is not None and found.report is None and await self._asked(found.ticker, started):
            found = await self._in_session(look)
        await message.reply_html(calendar_replies.next_reply(found))

    async def _company_list_arrives(self) -> bool:
        """Wait a few seconds for the first load of SEC's company list; True when it just ended."""
        loaded = self.company_list_loaded
        if loaded is None or loaded.is_set():
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(loaded.wait(), timeout=COMPANY_LIST_WAIT_SECONDS)
        return loaded.is_set()

    async def _asked(self, ticker: str, started: float) -> bool:
        """Ask the calendars about ticker now; True when they answered within ASK_SECONDS."""
        task = self.ask_calendars([ticker]) if self.ask_calendars is not None else None
        if task is None:
            return False
        left = REPLY_WITHIN_SECONDS - (asyncio.get_running_loop().time() - started)
        done, _pending = await asyncio.wait({task}, timeout=max(1.0, min(ASK_SECONDS, left)))
        if not done:
            logger.info("next report of %s: the calendars are still answering; replying without", ticker)
        return bool(done)
