"""/timezone: show the chat's zone and its time now, or set it. Thin: parse, call, reply."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.market_time import utc_now
from bot.domain.moments import describe_instant, zone_of
from bot.domain.zones import EXAMPLES
from bot.engine import chat_zone
from bot.store.db import LoopTransactions, ThreadedTransactions

T = TypeVar("T")


class TimeCommands:
    """/timezone for every chat."""

    def __init__(self, db: Engine, *, clock: Callable[[], datetime] = utc_now,
                 transactions: ThreadedTransactions | LoopTransactions | None = None) -> None:
        self.db = db
        self.transactions = transactions or ThreadedTransactions(db)
        self.clock = clock

    async def _in_session(self, work: Callable[[Session], T]) -> T:
        return await self.transactions.run(work)

    async def timezone_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the chat's zone and local time (no argument), or set it (/timezone Asia/Shanghai)."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        typed = " ".join(context.args or [])
        now = self.clock()
        if not typed:
            zone = await self._in_session(lambda s: chat_zone.chat_timezone(s, chat.id))
            await message.reply_html(timezone_text(zone, now))
            return
        change = await self._in_session(
            lambda s: chat_zone.change_timezone(s, chat.id, typed, now=now, kind=chat.type,
                                                title=chat.title or chat.username)
        )
        await message.reply_html(timezone_change_text(typed, change, now))


def _now_line(zone: str, now: datetime) -> str:
    return f"It is now {escape(describe_instant(now, zone_of(zone)))}."


def timezone_text(zone: str, now: datetime) -> str:
    """Return the /timezone reply: the chat's zone, its time now, how to change it."""
    return (
        f"🕐 This chat's time zone: <b>{escape(zone)}</b>\n{_now_line(zone, now)}\n"
        "Report times are shown in it, with New York's (ET) beside them.\n"
        "Change it with <code>/timezone CITY</code> or a zone name, e.g. "
        "<code>/timezone Shanghai</code>, <code>/timezone Europe/London</code>, <code>/timezone UTC</code>."
    )


def timezone_change_text(typed: str, change: chat_zone.ZoneChange, now: datetime) -> str:
    """Return what /timezone ZONE did: the new zone, or close matches (or examples) and no change."""
    if change.changed:
        return (f"✅ Time zone set to <b>{escape(change.zone)}</b>. {_now_line(change.zone, now)}\n"
                "Report dates and times now show in your time.")
    lines = [f"❓ I don't know the time zone <i>{escape(typed[:64])}</i>."]
    suggestions = change.lookup.suggestions
    if suggestions:
        lines.append("Did you mean " + " or ".join(f"<code>{escape(s)}</code>" for s in suggestions) + "?")
    else:
        examples = ", ".join(f"<code>{escape(e)}</code>" for e in EXAMPLES)
        lines.append(f"Try a city or an IANA zone name, e.g. {examples}.")
    lines.append(f"Your time zone stays <b>{escape(change.zone)}</b>.")
    return "\n".join(lines)
