"""Administrator commands: /stats and /broadcast, for the administrators ADMIN_CHAT_IDS and
ADMIN_USER_IDS name (bot.telegram.access.sent_by_admin)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.market_time import utc_now
from bot.engine import admin
from bot.engine.ports import Outbox
from bot.store.db import session_scope
from bot.store.stats import DeliveryStats
from bot.store.tables import DeliveryStatus
from bot.telegram import replies
from bot.telegram.access import sent_by_admin

logger = logging.getLogger(__name__)

BROADCAST_USAGE = "Usage: <code>/broadcast TEXT</code>: sends TEXT to every active chat."


class AdminCommands:
    """The commands only the bot's administrators may use; everyone else is refused politely."""

    def __init__(
        self,
        db: Engine,
        *,
        outbox: Outbox,
        admin_chat_ids: frozenset[int],
        admin_user_ids: frozenset[int] = frozenset(),
        clock: Callable[[], datetime] = utc_now,
        on_enqueued: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.admin_rule = admin.AdminRule(admin_chat_ids, admin_user_ids)
        self.clock = clock
        self.on_enqueued = on_enqueued

    async def stats_command(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show chats, deliveries by state and recent flood waits."""
        if not await self._allowed(update):
            return
        now = self.clock()

        def read() -> DeliveryStats:
            with session_scope(self.db) as session:
                return admin.read_stats(session, now=now)

        stats = await asyncio.to_thread(read)
        await update.effective_message.reply_html(format_stats(stats))  # type: ignore[union-attr]

    async def broadcast_command(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Queue TEXT for every active chat."""
        if not await self._allowed(update):
            return
        message = update.effective_message
        text = broadcast_text(message.text or "")  # type: ignore[union-attr]
        if not text:
            await message.reply_html(BROADCAST_USAGE)  # type: ignore[union-attr]
            return
        admin_chat_id = update.effective_chat.id  # type: ignore[union-attr]
        now = self.clock()

        def write() -> int:
            with session_scope(self.db) as session:
                return admin.broadcast(session, text, admin_chat_id=admin_chat_id, outbox=self.outbox, now=now)

        addressed = await asyncio.to_thread(write)
        if self.on_enqueued is not None:
            self.on_enqueued()
        logger.info("broadcast queued by admin=%s for %d chats", admin_chat_id, addressed)
        await message.reply_html(f"📣 Broadcast queued for {addressed} active chats.")  # type: ignore[union-attr]

    def is_admin(self, update: Update) -> bool:
        """Is the update from one of the bot's administrators? The one check every admin action uses."""
        return sent_by_admin(update, self.admin_rule)

    async def _allowed(self, update: Update) -> bool:
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return False
        if self.is_admin(update):
            return True
        logger.info("admin command refused chat=%s", chat.id)
        await message.reply_html(replies.ADMIN_ONLY)
        return False


def broadcast_text(message_text: str) -> str:
    """Return what follows /broadcast (or /broadcast@bot), line breaks kept."""
    parts = message_text.split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""


def format_stats(stats: DeliveryStats) -> str:
    """Return the /stats reply."""
    deliveries = stats.deliveries
    order = [DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT,
             DeliveryStatus.FAILED, DeliveryStatus.CANCELLED]
    lines = [
        "<b>Chats</b>",
        f"total {stats.chats_total} · active {stats.chats_active} · "
        f"blocked {stats.chats_blocked} · stopped {stats.chats_stopped}",
        "",
        "<b>Deliveries</b>",
        " · ".join(f"{status} {deliveries.get(status, 0)}" for status in order),
        f"edited after a correction {stats.edited}",
        "",
        "<b>Flood control</b>",
        f"429s in the last hour {stats.flood_waits_last_hour}",
    ]
    if stats.last_flood_wait_at is not None:
        lines.append(f"last one {stats.last_flood_wait_at:%Y-%m-%d %H:%M:%S} UTC")
    return "\n".join(lines)
