"""/last TICKER: parse, call one engine function, reply with the result as its alert reads now."""

from __future__ import annotations

from html import escape

from sqlalchemy import Engine
from telegram import Update
from telegram.ext import ContextTypes

from bot.delivery.render import render_result
from bot.engine.last_result import LastResult, last_result
from bot.store.db import LoopTransactions, ThreadedTransactions
from bot.telegram.commands import reply_long

LAST_USAGE = "Tell me which company, e.g. <code>/last NVDA</code>"


def last_reply(found: LastResult) -> str:
    """Return the latest result as its alert would read now, or why there is none."""
    if not found.valid:
        return f"⚠️ Not a ticker: {escape(found.typed)}. {LAST_USAGE}"
    if not found.known:
        line = f"❓ I don't know the ticker {escape(found.typed)}"
        if found.suggestions:
            line += ". Did you mean " + " or ".join(escape(s) for s in found.suggestions) + "?"
        return line
    if found.report is None:
        return (f"<b>{escape(found.ticker or '')}</b> {escape(found.company_name)}\n"
                f"No result stored yet: I keep each report from the moment someone watches the company. "
                f"<code>/next {escape(found.ticker or '')}</code> shows when it reports.")
    return render_result(found.report, found.zone, found.own)


class ResultCommands:
    """/last."""

    def __init__(self, db: Engine, *, transactions: ThreadedTransactions | LoopTransactions | None = None) -> None:
        self.db = db
        self.transactions = transactions or ThreadedTransactions(db)

    async def last_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A company's latest result with every comparison, this chat's own numbers included."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        args = context.args or []
        if len(args) != 1:
            await message.reply_html(LAST_USAGE)
            return
        found = await self.transactions.run(last_result, chat.id, args[0])
        await reply_long(message, last_reply(found))
