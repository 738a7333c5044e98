"""/expect and /expectations: a chat's own numbers. Thin: parse, call one engine function, reply."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.domain.market_time import utc_now
from bot.engine import own_numbers
from bot.kpis import KpiDefinitions
from bot.store.db import LoopTransactions, ThreadedTransactions
from bot.telegram.expect_replies import (
    EXPECT_USAGE,
    STALE_CHOICE,
    choice_label,
    expect_reply,
    expectations_reply,
)

T = TypeVar("T")
CHOICE_PREFIX = "exp:"  # callback data of a reading of an ambiguous value
MAX_CALLBACK_BYTES = 64


class ExpectCommands:
    """/expect and /expectations for every chat, and the buttons of an ambiguous value."""

    def __init__(self, db: Engine, kpis: KpiDefinitions, *, clock: Callable[[], datetime] = utc_now,
                 transactions: ThreadedTransactions | LoopTransactions | None = None) -> None:
        self.db = db
        self.transactions = transactions or ThreadedTransactions(db)
        self.kpis = kpis
        self.clock = clock

    async def _in_session(self, work: Callable[[Session], T]) -> T:
        return await self.transactions.run(work)

    async def expect_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/expect TICKER METRIC VALUE [PERIOD]` or `/expect TICKER METRIC clear`."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        args = context.args or []
        if len(args) < 3:
            await message.reply_html(EXPECT_USAGE)
            return
        now = self.clock()
        result = await self._in_session(lambda s: own_numbers.set_own_number(
            s, chat.id, args[0], args[1], " ".join(args[2:])[:80], kpis_of=self.kpis.for_company, now=now,
            kind=chat.type, title=chat.title or chat.username,
        ))
        await message.reply_html(expect_reply(result), reply_markup=choices_keyboard(result))

    async def choice_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Store the reading a chat tapped among an ambiguous value's buttons."""
        query, chat = update.callback_query, update.effective_chat
        if query is None or chat is None or not query.data:
            return
        choice = own_numbers.parse_choice(query.data.removeprefix(CHOICE_PREFIX))
        if choice is None:
            await query.answer(STALE_CHOICE)
            return
        event_id, metric_index, value = choice
        now = self.clock()
        result = await self._in_session(lambda s: own_numbers.choose_reading(
            s, chat.id, event_id, metric_index, value, kpis_of=self.kpis.for_company, now=now,
            kind=chat.type, title=chat.title or chat.username,
        ))
        await query.answer("Stored" if result.outcome is own_numbers.Outcome.STORED else "Not stored")
        try:
            await query.edit_message_text(expect_reply(result), parse_mode="HTML")
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():  # a second tap on the same choice
                raise

    async def expectations_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/expectations [TICKER]`: the chat's own numbers with the latest consensus beside each."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        args = context.args or []
        if len(args) > 1:
            await message.reply_html("Name one company or none, e.g. <code>/expectations NVDA</code>")
            return
        typed = args[0] if args else None
        found = await self._in_session(
            lambda s: own_numbers.own_list(s, chat.id, typed, kpis_of=self.kpis.for_company)
        )
        await message.reply_html(expectations_reply(found))


def choices_keyboard(result: own_numbers.ExpectResult) -> InlineKeyboardMarkup | None:
    """Return one button per reading of an ambiguous value (None for any other reply)."""
    if result.outcome is not own_numbers.Outcome.AMBIGUOUS:
        return None
    buttons = []
    for reading in result.readings:
        data = CHOICE_PREFIX + own_numbers.choice_data(result, reading)
        if len(data.encode()) <= MAX_CALLBACK_BYTES:
            buttons.append([InlineKeyboardButton(choice_label(reading), callback_data=data)])
    return InlineKeyboardMarkup(buttons) if buttons else None
