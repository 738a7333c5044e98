"""/forget: after a confirmation button, delete everything stored about the chat."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Engine
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.engine.forget import deliveries_on_the_wire, forget_chat, stop_deliveries
from bot.store.db import LoopTransactions, ThreadedTransactions

logger = logging.getLogger(__name__)

FORGET_PREFIX = "forget:"
CONFIRM_TEXT = (
    "🗑 <b>Forget this chat?</b>\n"
    "I will delete everything I keep about it: its watchlist, your own numbers, its settings and "
    "alerts not yet sent. This cannot be undone."
)
FORGOTTEN = "🗑 Done: I've deleted everything I kept about this chat. /start begins again."
NOTHING_STORED = "I keep nothing about this chat: there is nothing to forget."
KEPT = "Nothing deleted: I still follow everything as before."
# How long "forget" waits for a message already on its way to the chat (a send's own time-out and
# pacing), so that "Done" is the last thing the chat receives; a sender that died keeps its rows
# "sending" until their lease ends, so the wait is bounded.
ON_THE_WIRE_WAIT = 10.0
ON_THE_WIRE_CHECK = 0.1


def confirm_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("🗑 Yes, forget everything", callback_data=f"{FORGET_PREFIX}yes"),
        InlineKeyboardButton("Cancel", callback_data=f"{FORGET_PREFIX}no"),
    ]])


class ForgetCommands:
    """/forget and its confirmation buttons."""

    def __init__(self, db: Engine, *, transactions: ThreadedTransactions | LoopTransactions | None = None) -> None:
        self.db = db
        self.transactions = transactions or ThreadedTransactions(db)

    async def forget_command(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Ask for confirmation."""
        if update.effective_message is not None:
            await update.effective_message.reply_html(CONFIRM_TEXT, reply_markup=confirm_keyboard())

    async def forget_button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Delete the chat's data on "yes", keep it on "cancel"; the question becomes the answer."""
        query, chat = update.callback_query, update.effective_chat
        if query is None or chat is None:
            return
        if query.data != f"{FORGET_PREFIX}yes":
            await query.answer()
            await query.edit_message_text(KEPT)
            return
        chat_id = chat.id
        await query.answer()  # at once: Telegram lets a button's answer wait only briefly
        await self._let_sends_land(chat_id)
        forgotten = await self.transactions.run(lambda session: forget_chat(session, chat_id))
        logger.info("chat forgotten: %s", "its rows deleted" if forgotten else "nothing was stored")
        await query.edit_message_text(FORGOTTEN if forgotten else NOTHING_STORED)

    async def _let_sends_land(self, chat_id: int) -> None:
        """Stop the chat's pending deliveries and wait for the ones already on the wire."""
        on_the_wire = await self.transactions.run(lambda session: stop_deliveries(session, chat_id))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ON_THE_WIRE_WAIT
        while on_the_wire and loop.time() < deadline:
            await asyncio.sleep(ON_THE_WIRE_CHECK)
            on_the_wire = await self.transactions.read(lambda session: deliveries_on_the_wire(session, chat_id))
