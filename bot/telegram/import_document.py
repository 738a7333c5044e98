"""An administrator sends a CSV of expectations to the bot as a document; the bot imports it.

The file is fetched through the Bot API (getFile, then the file URL) and imported exactly as
`earnings-bot expectations import` does (bot.engine.expectation_import.import_csv): every row, or
none when a line is bad, and the reply names the bad lines. Anyone else is refused politely in a
private chat; in a group, a file that is not for the bot is not answered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from html import escape

from sqlalchemy import Engine
from telegram import Document, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.domain.expectation_csv import COLUMNS, MAX_CSV_BYTES
from bot.domain.market_time import utc_now
from bot.engine.expectation_import import ImportOutcome, import_csv
from bot.kpis import KpiDefinitions
from bot.store.db import ThreadedTransactions

logger = logging.getLogger(__name__)

CSV_MIME_TYPES = frozenset({"text/csv", "text/comma-separated-values", "application/csv", "text/x-csv"})
MAX_LINES_SHOWN = 15
ADMIN_ONLY_IMPORT = ("Sorry, only the bot's administrators can import expectations from a file. "
                     "/expect NVDA eps 0.90 stores a number of your own.")
NOT_CSV = ("📄 That file isn't a CSV file. Send the expectations as a <b>.csv</b> file whose first line is\n"
           f"<code>{','.join(COLUMNS)}</code>")
TOO_LARGE = f"📄 That file is too large: at most {MAX_CSV_BYTES // 1024:,} KB are imported at once; split it."
NOT_FETCHED = "⚠️ I couldn't fetch that file from Telegram; nothing was imported. Please send it again."


class DocumentImport:
    """Import the CSV documents administrators send."""

    def __init__(self, db: Engine, kpis: KpiDefinitions, *, is_admin: Callable[[Update], bool],
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.db = db
        self.kpis = kpis
        self.is_admin = is_admin
        self.clock = clock

    async def document_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Import the document's rows when an administrator sent a CSV; else say why not."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None or message.document is None:
            return
        document = message.document
        if not self.is_admin(update):
            logger.info("document import refused chat=%s", chat.id)
            if chat.type == "private":
                await message.reply_html(ADMIN_ONLY_IMPORT)
            return
        if not is_csv(document):
            await message.reply_html(NOT_CSV)
            return
        if document.file_size is not None and document.file_size > MAX_CSV_BYTES:
            await message.reply_html(TOO_LARGE)
            return
        try:
            file = await document.get_file()
            data = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            logger.warning("document import: can't fetch the file chat=%s: %s", chat.id, exc)
            await message.reply_html(NOT_FETCHED)
            return
        if len(data) > MAX_CSV_BYTES:
            await message.reply_html(TOO_LARGE)
            return
        now = self.clock()
        outcome = await ThreadedTransactions(self.db).run(
            lambda s: import_csv(s, data, kpis_of=self.kpis.for_company, now=now))
        logger.info("document import chat=%s rows=%d added=%d bad=%d", chat.id, outcome.rows, outcome.added,
                    len(outcome.errors))
        await message.reply_html(import_reply(document.file_name or "the file", outcome))


def is_csv(document: Document) -> bool:
    """A .csv name or a CSV media type."""
    name = (document.file_name or "").lower()
    return name.endswith(".csv") or (document.mime_type or "").lower() in CSV_MIME_TYPES


def import_reply(file_name: str, outcome: ImportOutcome) -> str:
    """Return the reply: the rows imported, or the bad lines and that nothing was imported."""
    name = escape(file_name[:64])
    if outcome.imported:
        return (f"✅ Imported <b>{name}</b>: {outcome.rows} rows, {outcome.added} new, "
                f"{outcome.unchanged} already stored.")
    count = len(outcome.errors)
    lines = [f"⚠️ Nothing imported from <b>{name}</b>: {count} bad line{'s' if count != 1 else ''}. "
             "Fix them and send the file again."]
    lines += [escape(str(error)) for error in outcome.errors[:MAX_LINES_SHOWN]]
    if count > MAX_LINES_SHOWN:
        lines.append(f"… and {count - MAX_LINES_SHOWN} more")
    return "\n".join(lines)
