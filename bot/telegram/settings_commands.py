"""/settings: the pages (bot.telegram.settings_pages) and their buttons, and the typed forms
`/settings KIND on|off`, `/settings band 1%`, `/settings min_surprise 2%`. Thin: parse, call one
engine function, show the page that changed with a confirmation above it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from html import escape, unescape
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session
from telegram import Chat, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.domain.market_time import utc_now
from bot.domain.thresholds import (
    BAND_CHOICES,
    MAX_BAND_BP,
    MAX_MIN_SURPRISE_BP,
    MIN_SURPRISE_CHOICES,
    parse_band,
    parse_min_surprise,
    percent_text,
)
from bot.engine import chat_zone, preferences
from bot.engine.evaluate import in_line_band
from bot.store.db import LoopTransactions, ThreadedTransactions
from bot.telegram import settings_pages as pages
from bot.telegram.settings_pages import (
    Action,
    OpenPage,
    SetBand,
    SetMinSurprise,
    SetQuiet,
    SettingsView,
    SetZone,
    Toggle,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")
STALE_BUTTON = "That option no longer exists."
BUTTON_PATTERN = r"^(ann|opt|set|band|min|tz|quiet):"
THRESHOLD_WORDS = {"band": "band", "min_surprise": "min"}


class SettingsCommands:
    """/settings for every chat."""

    def __init__(self, db: Engine, *, clock: Callable[[], datetime] = utc_now,
                 transactions: ThreadedTransactions | LoopTransactions | None = None) -> None:
        self.db = db
        self.transactions = transactions or ThreadedTransactions(db)
        self.clock = clock

    async def _in_session(self, work: Callable[[Session], T]) -> T:
        return await self.transactions.run(work)

    async def settings_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the main page, or change one setting as typed and show its page."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        args = [a.lower() for a in (context.args or [])]
        if not args:
            page = await self.transactions.read(self._page(chat, None, "main"))  # only looks
            await message.reply_html(page.text, reply_markup=page.keyboard)
            return
        action, problem = typed_action(args)
        if action is None:
            await message.reply_html(problem)
            return
        if isinstance(action, Toggle) and action.key == "all":
            page = await self._in_session(self._all_kinds(chat, args[1] == "on"))
        else:
            page = await self._in_session(self._page(chat, action, pages.page_of(action)))
        await message.reply_html(page.text, reply_markup=page.keyboard)

    async def settings_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Open a page or change one setting from a button; the same message shows the result."""
        query, chat = update.callback_query, update.effective_chat
        if query is None or chat is None or not query.data:
            return
        action = pages.parse_button(query.data)
        if action is None:
            await query.answer(STALE_BUTTON)
            return
        page = await self._in_session(self._page(chat, action, pages.page_of(action)))
        await query.answer(_short(page.text) if not isinstance(action, OpenPage) else None)
        if query.message is None or not query.message.is_accessible:  # too old for Telegram to show us
            await context.bot.send_message(chat.id, page.text, parse_mode="HTML", reply_markup=page.keyboard)
            return
        try:
            await query.edit_message_text(page.text, parse_mode="HTML", reply_markup=page.keyboard)
        except BadRequest as exc:
            if "not modified" in str(exc).lower():  # an old menu already showing this state
                return
            logger.info("settings page could not replace its message (%s): sent anew", exc)
            await context.bot.send_message(chat.id, page.text, parse_mode="HTML", reply_markup=page.keyboard)

    def _page(self, chat: Chat, action: Action | None, name: str) -> Callable[[Session], pages.Page]:
        """Return the work that applies the action (None: only look) and renders the page."""
        now, title = self.clock(), chat.title or chat.username

        def work(session: Session) -> pages.Page:
            note = None if action is None or isinstance(action, OpenPage) else _apply(
                session, chat, action, now=now, title=title)
            return pages.render_page(name, _view(session, chat.id, now), note=note)

        return work

    def _all_kinds(self, chat: Chat, enabled: bool) -> Callable[[Session], pages.Page]:
        now, title = self.clock(), chat.title or chat.username

        def work(session: Session) -> pages.Page:
            for kind in preferences.announcement_kinds():
                preferences.set_announcement(session, chat.id, kind.key, enabled, now=now, kind=chat.type,
                                             title=title)
            note = f"Every other SEC filing kind: {'on' if enabled else 'off'}"
            return pages.render_page("kinds", _view(session, chat.id, now), note=note)

        return work


def _view(session: Session, chat_id: int, now: datetime) -> SettingsView:
    return SettingsView(preferences.settings_of(session, chat_id), preferences.quiet_of(session, chat_id),
                        in_line_band(), now)


def _apply(session: Session, chat: Chat, action: Action, *, now: datetime, title: str | None) -> str:
    """Make the change; return its confirmation (plain text)."""
    who = {"now": now, "kind": chat.type, "title": title}
    if isinstance(action, Toggle):
        current = preferences.settings_of(session, chat.id)
        if action.is_switch:
            enabled = not current.switch(action.key) if action.enabled is None else action.enabled
            preferences.set_switch(session, chat.id, action.key, enabled, **who)  # type: ignore[arg-type]
            return f"{action.key.capitalize()}: {'on' if enabled else 'off'}"
        kind = preferences.announcement_kind(action.key)
        assert kind is not None  # parse_button and typed_action only give known kinds
        enabled = action.key not in current.announcements if action.enabled is None else action.enabled
        preferences.set_announcement(session, chat.id, action.key, enabled, **who)  # type: ignore[arg-type]
        return f"{kind.title}: {'on' if enabled else 'off'}"
    if isinstance(action, SetBand):
        preferences.set_band(session, chat.id, action.bp, **who)  # type: ignore[arg-type]
        return "In-line band: " + ("default" if action.bp is None else f"±{percent_text(action.bp)}")
    if isinstance(action, SetMinSurprise):
        preferences.set_min_surprise(session, chat.id, action.bp, **who)  # type: ignore[arg-type]
        return "Minimum surprise: " + (percent_text(action.bp) if action.bp else "off")
    if isinstance(action, SetZone):
        change = chat_zone.change_timezone(session, chat.id, action.zone, **who)  # type: ignore[arg-type]
        return f"Time zone: {change.zone}"
    assert isinstance(action, SetQuiet)
    quiet = preferences.set_quiet(session, chat.id, action.span, **who)  # type: ignore[arg-type]
    return "Quiet hours: " + ("off" if quiet.start is None else f"{quiet.start} to {quiet.end}")


def typed_action(args: list[str]) -> tuple[Action | None, str]:
    """Read `/settings` words (lower-cased) as a change; (None, the reply naming the valid values)
    when they are not one. A typed switch sets the value named (on or off), it does not flip it."""
    name = args[0]
    if name in THRESHOLD_WORDS:
        if len(args) == 1:
            return OpenPage(THRESHOLD_WORDS[name]), ""
        typed = " ".join(args[1:])
        if name == "band":
            band = parse_band(typed)
            return (SetBand(band.bp), "") if band is not None else (None, band_usage(typed))
        bp = parse_min_surprise(typed)
        return (SetMinSurprise(bp), "") if bp is not None else (None, min_surprise_usage(typed))
    known = name == "all" or name in preferences.SWITCHES or preferences.announcement_kind(name) is not None
    if len(args) != 2 or args[1] not in {"on", "off"} or not known:
        return None, settings_usage()
    return Toggle(name, is_switch=name in preferences.SWITCHES, enabled=args[1] == "on"), ""


def settings_usage() -> str:
    """Return how to change settings with words."""
    names = ", ".join([*(k.key for k in preferences.announcement_kinds()), *preferences.SWITCHES])
    return (f"Use <code>/settings KIND on|off</code> where KIND is one of: {names}, all.\n"
            f"Or <code>/settings band VALUE</code> ({_band_values()}) and "
            f"<code>/settings min_surprise VALUE</code> ({_min_values()}). "
            "<code>/settings</code> shows every setting.")


def band_usage(typed: str) -> str:
    return (f"❓ <i>{escape(typed[:32])}</i> is not an in-line band. Use <code>/settings band VALUE</code> "
            f"with one of: {_band_values()}.")


def min_surprise_usage(typed: str) -> str:
    return (f"❓ <i>{escape(typed[:32])}</i> is not a minimum surprise. Use "
            f"<code>/settings min_surprise VALUE</code> with one of: {_min_values()}.")


def _band_values() -> str:
    shown = ", ".join(percent_text(bp) for bp in BAND_CHOICES)
    return f"default, {shown} or any percentage from 0% to {percent_text(MAX_BAND_BP)} such as 1.5%"


def _min_values() -> str:
    shown = ", ".join(percent_text(bp) for bp in MIN_SURPRISE_CHOICES)
    return f"off, {shown} or any percentage up to {percent_text(MAX_MIN_SURPRISE_BP)} such as 2.5%"


def _short(text: str) -> str:
    """The confirmation line of a page, for the button's answer (Telegram shows up to 200 characters)."""
    first = text.split("\n", 1)[0].removeprefix("✅ ")
    return unescape(first)[:200]
