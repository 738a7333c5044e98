"""Input bounds: a command too long or with too many arguments gets a clear reply, not a handler."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

MAX_COMMAND_CHARS = 2000  # /watch of 200 tickers, an /expect with a note: below
MAX_BROADCAST_CHARS = 4000  # /broadcast TEXT: a whole message (Telegram's limit is 4096)
MAX_ARGUMENTS = 200  # a whole watchlist (/watch reads 50 of them at a time)
TOO_LONG = f"That command is too long: I read at most {MAX_COMMAND_CHARS} characters."
TOO_MANY = f"That's too many words for one command: at most {MAX_ARGUMENTS}."


async def refuse_oversize(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer an oversize command and stop every later handler from seeing it."""
    message = update.effective_message
    if message is None or not message.text:
        return
    name = message.text.split(maxsplit=1)[0].partition("@")[0].lower()
    limit = MAX_BROADCAST_CHARS if name == "/broadcast" else MAX_COMMAND_CHARS
    if len(message.text) > limit:
        await message.reply_html(TOO_LONG if limit == MAX_COMMAND_CHARS else
                                 f"That command is too long: I read at most {limit} characters.")
        raise ApplicationHandlerStop
    if name != "/broadcast" and len(message.text.split()) - 1 > MAX_ARGUMENTS:
        await message.reply_html(TOO_MANY)
        raise ApplicationHandlerStop
