"""User command handlers: parse, call one engine function, reply. Database work runs off the loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session
from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.delivery.split import split_html
from bot.domain.market_time import new_york_date, utc_now
from bot.domain.moments import zone_of
from bot.domain.reminder_times import parse_span
from bot.engine import chat_zone, preferences, status, subscriptions
from bot.engine.admin import AdminRule
from bot.store.db import LoopTransactions, ThreadedTransactions
from bot.telegram import replies
from bot.telegram.access import sent_by_admin

logger = logging.getLogger(__name__)
T = TypeVar("T")
# A /watch that comes before SEC's company list was first loaded waits this long for it (handlers
# run one at a time, so not longer); after that the reply says the list is loading.
COMPANY_LIST_WAIT_SECONDS = 8.0


class UserCommands:
    """The commands every chat may use."""

    def __init__(self, db: Engine, *, clock: Callable[[], datetime] = utc_now,
                 admin_chat_ids: frozenset[int] = frozenset(), admin_user_ids: frozenset[int] = frozenset(),
                 sources_configured: tuple[bool, bool] = (True, True),
                 on_watched: Callable[[subscriptions.WatchResult], None] | None = None,
                 company_list_loaded: asyncio.Event | None = None,
                 transactions: ThreadedTransactions | LoopTransactions | None = None) -> None:
        self.db = db
        self.transactions = transactions or ThreadedTransactions(db)  # each command's step
        self.on_watched = on_watched  # given what /watch added: companies with no date or no past results yet
        self.company_list_loaded = company_list_loaded  # set once the first load of SEC's list ended
        self.clock = clock
        self.admin_rule = AdminRule(admin_chat_ids, admin_user_ids)
        self.sources_configured = sources_configured  # (SEC EDGAR, Finnhub), for /status

    async def _in_session(self, work: Callable[[Session], T]) -> T:
        return await self.transactions.run(work)

    async def start_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Register the chat (or turn its alerts back on) and explain the bot."""
        chat = update.effective_chat
        if chat is None or update.effective_message is None:
            return
        now = self.clock()

        def work(session: Session) -> bool:
            known = subscriptions.get_chat(session, chat.id)
            row, is_new = subscriptions.register_chat(
                session, chat.id, kind=chat.type, title=chat.title or chat.username, now=now
            )
            if known is not None and row.id is not None:
                subscriptions.reactivate_chat(session, row.id, now=now)
            return is_new

        is_new = await self._in_session(work)
        await update.effective_message.reply_html(replies.WELCOME if is_new else replies.WELCOME_BACK)

    async def help_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """List the commands."""
        if update.effective_message is None or update.effective_chat is None:
            return
        is_admin = sent_by_admin(update, self.admin_rule)
        await update.effective_message.reply_html(replies.help_text(is_admin=is_admin))

    async def watch_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Add companies to the chat's watchlist."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        tickers = subscriptions.parse_tickers(context.args or [])
        if not tickers:
            await message.reply_html(replies.watch_usage())
            return
        now = self.clock()

        def work(typed: list[str]) -> Callable[[Session], subscriptions.WatchResult]:
            return lambda session: subscriptions.watch(session, chat.id, typed, now=now, kind=chat.type,
                                                       title=chat.title or chat.username)

        result = await self._in_session(work(tickers))
        if result.not_looked_up and await self._company_list_arrives():
            # a /watch sent in the first seconds of a deployment: look up what could not be, once
            result = result.merged(await self._in_session(work(result.not_looked_up)))
        if (result.unscheduled or result.unseeded) and self.on_watched is not None:
            self.on_watched(result)  # committed: their next report and their past results are read now
        await reply_long(message, replies.watch_reply(result))

    async def _company_list_arrives(self) -> bool:
        """Wait a few seconds for the first load of SEC's company list; True when it ended."""
        loaded = self.company_list_loaded
        if loaded is None:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(loaded.wait(), timeout=COMPANY_LIST_WAIT_SECONDS)
        return loaded.is_set()

    async def unwatch_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Remove companies from the chat's watchlist."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        tickers = subscriptions.parse_tickers(context.args or [])
        if not tickers:
            await message.reply_html(replies.unwatch_usage())
            return
        result = await self._in_session(lambda s: subscriptions.unwatch(s, chat.id, tickers))
        await reply_long(message, replies.unwatch_reply(result))

    async def watchlist_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the watchlist with next report dates."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        today = new_york_date(self.clock())

        def work(session: Session) -> tuple[list[subscriptions.WatchlistEntry], str]:
            known = subscriptions.get_chat(session, chat.id)  # read once: its watchlist and its zone
            entries = subscriptions.watchlist_of(session, known, today=today) if known is not None else []
            return entries, zone_of(known.timezone if known is not None else None).key

        entries, zone = await self.transactions.read(work)
        await reply_long(message, replies.watchlist_reply(entries, zone_of(zone)))

    async def stop_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop all alerts to this chat."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        now = self.clock()
        known = await self._in_session(lambda s: subscriptions.stop_chat(s, chat.id, now=now))
        await message.reply_html(replies.STOPPED if known else replies.NOT_SUBSCRIBED)

    async def status_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the health of the data sources."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        sec, finnhub = self.sources_configured
        now = self.clock()

        def work(session: Session) -> tuple[status.StatusReport, str]:
            report = status.status_report(session, now=now, sec_configured=sec, finnhub_configured=finnhub)
            return report, chat_zone.chat_timezone(session, chat.id)

        report, zone = await self._in_session(work)
        await message.reply_html(replies.status_text(report, zone_of(zone)))

    async def quiet_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show, set (`/quiet 22:00-07:00`, `... all`) or end (`/quiet off`) the chat's quiet hours."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        args = [a.lower() for a in (context.args or [])]
        if not args:
            quiet = await self._in_session(lambda s: preferences.quiet_of(s, chat.id))
            await message.reply_html(replies.quiet_text(quiet))
            return
        everything = len(args) > 1 and args[-1] == "all"
        span = parse_span(" ".join(args[:-1] if everything else args))
        if args != ["off"] and span is None:
            await message.reply_html(replies.QUIET_USAGE)
            return
        now, title = self.clock(), chat.title or chat.username
        quiet = await self._in_session(lambda s: preferences.set_quiet(
            s, chat.id, span, everything=everything, now=now, kind=chat.type, title=title))
        await message.reply_html(replies.quiet_text(quiet, changed=True))

    async def stale_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a button this version of the bot doesn't know, so the client stops waiting."""
        if update.callback_query is not None:
            await update.callback_query.answer("That option no longer exists.")

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a command we don't have: always in a private chat; in a group only when it names us,
        since a bare /roll there is meant for another bot."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None or not message.text:
            return
        command = message.text.split(maxsplit=1)[0]
        _name, _at, addressee = command.partition("@")
        if addressee and addressee.lower() != (context.bot.username or "").lower():
            return
        if chat.type != chat.PRIVATE and not addressee:
            return
        await message.reply_html(replies.UNKNOWN_COMMAND)


    async def plain_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a message that is not a command."""
        if update.effective_message is not None:
            await update.effective_message.reply_html(replies.NOT_A_COMMAND)


async def reply_long(message: Message, text: str) -> None:
    """Reply with text, in several messages when it is over Telegram's 4096 characters
    (a 200-company watchlist is), cut at line ends."""
    for part in split_html(text) or [text]:
        await message.reply_html(part)


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log any handler error and tell the user, without the details."""
    logger.error("handler failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_html(replies.INTERNAL_ERROR)
        except Exception:  # noqa: BLE001 - the reply is best effort; the error is logged above
            logger.warning("could not send the error reply")
