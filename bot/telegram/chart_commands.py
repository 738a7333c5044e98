"""/chart TICKER: a picture of the company's last quarters, EPS and revenue against consensus.

The history is read in a worker thread (ThreadedTransactions) and the PNG drawn in another
(asyncio.to_thread): matplotlib takes a few hundred milliseconds, and the event loop keeps serving
every other chat meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from html import escape

from sqlalchemy import Engine
from telegram import Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.delivery.chart_image import chart_caption, render_chart_png
from bot.engine.chart_history import QUARTERS, ChartRequest, chart_history
from bot.store.db import ThreadedTransactions

logger = logging.getLogger(__name__)

CHART_USAGE = "Name one company, e.g. <code>/chart NVDA</code>: its EPS and revenue against consensus."
STILL_DRAWING = "📊 Still drawing your last chart: one at a time, it comes in a moment."


class ChartCommands:
    """/chart for every chat."""

    def __init__(self, db: Engine) -> None:
        self.db = db
        self._drawing: set[int] = set()  # chats whose chart is being made: one at a time per chat

    async def chart_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/chart TICKER`: the last quarters as a photo, or why there is none."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        args = context.args or []
        if len(args) != 1:
            await message.reply_html(CHART_USAGE)
            return
        if chat.id in self._drawing:
            await message.reply_html(STILL_DRAWING)
            return
        self._drawing.add(chat.id)
        try:
            await self._chart(update, args[0])
        finally:
            self._drawing.discard(chat.id)

    async def _chart(self, update: Update, typed: str) -> None:
        chat, message = update.effective_chat, update.effective_message
        assert chat is not None and message is not None
        found = await ThreadedTransactions(self.db).run(lambda s: chart_history(s, typed))
        if found.history is None or not found.history.quarters:
            await message.reply_html(no_chart_reply(found))
            return
        history = found.history
        try:
            await chat.send_action(ChatAction.UPLOAD_PHOTO)
        except TelegramError as exc:  # only a courtesy: the photo still goes
            logger.info("upload_photo action refused chat=%s: %s", chat.id, exc)
        png = await asyncio.to_thread(render_chart_png, history)
        await message.reply_photo(png, caption=chart_caption(history), parse_mode="HTML",
                                  filename=f"{history.ticker}-earnings.png")


def no_chart_reply(found: ChartRequest) -> str:
    """Return why /chart has nothing to draw: an unknown ticker, or no stored quarter."""
    if not found.known:
        line = f"❓ I don't know the ticker {escape(found.typed)}"
        if found.suggestions:
            line += ". Did you mean " + " or ".join(escape(s) for s in found.suggestions) + "?"
        return line
    return (f"📊 No reported quarters of <b>{escape(found.typed)}</b> are stored yet, so there is nothing to "
            f"chart. Each report I see from now on adds one (up to the last {QUARTERS}).")
