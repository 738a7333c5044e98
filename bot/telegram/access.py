"""Who may do what: the bot's administrators (ADMIN_CHAT_IDS, ADMIN_USER_IDS) and, in groups and
supergroups, the chat's own administrators, the only ones who may change what the group follows."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Bot, Chat, ChatMember, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.engine.admin import AdminRule

logger = logging.getLogger(__name__)

Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, Any]]
Condition = Callable[[Update, ContextTypes.DEFAULT_TYPE], bool]

ADMINS_CACHE_SECONDS = 300.0  # a promoted or demoted member is seen within five minutes
_CACHE_CAP = 10_000  # (chat, user) answers kept; the oldest are dropped past it
GROUP_ADMINS_ONLY = "Sorry, only this group's administrators can change what it follows and how."
GROUP_ADMINS_ONLY_SHORT = "Only this group's administrators can change this."
_GROUP_KINDS = (Chat.GROUP, Chat.SUPERGROUP)


def sent_by_admin(update: Update, rule: AdminRule) -> bool:
    """Return True when the update comes from one of the bot's administrators (/stats, /broadcast,
    anything else only they may do)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return False
    return rule.allows(chat.id, user.id if user is not None else None)


class GroupAdmins:
    """Answers "is this sender an administrator of this group?" by getChatMember, cached."""

    def __init__(self, *, cache_seconds: float = ADMINS_CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._answers: dict[tuple[int, int], tuple[float, bool]] = {}

    async def may_change(self, bot: Bot, update: Update) -> bool:
        """Return True in private chats, and in groups for the chat's creator and administrators
        (an anonymous administrator writes as the group itself)."""
        chat = update.effective_chat
        if chat is None or chat.type not in _GROUP_KINDS:
            return chat is not None
        message = update.message
        if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
            return True  # "remain anonymous": only administrators can post as the group
        user = update.effective_user
        if user is None:
            return False
        return await self._is_admin(bot, chat.id, user.id)

    async def _is_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        now = self.clock()
        cached = self._answers.get((chat_id, user_id))
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            logger.warning("could not read a member's status in chat=%s: %s", chat_id, exc)
            return False  # not cached: asked again next time
        is_admin = member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)
        if len(self._answers) >= _CACHE_CAP:
            self._answers = {k: v for k, v in self._answers.items() if v[0] > now}
            while len(self._answers) >= _CACHE_CAP:
                self._answers.pop(next(iter(self._answers)))
        self._answers[(chat_id, user_id)] = (now + self.cache_seconds, is_admin)
        return is_admin


def always(_update: Update, _context: ContextTypes.DEFAULT_TYPE) -> bool:
    return True


def with_arguments(_update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A command that only shows something without arguments and changes something with them."""
    return bool(context.args)


def admins_only(callback: Callback, admins: GroupAdmins, *, changes: Condition = always) -> Callback:
    """Wrap a handler: in groups, a change (when changes() says the update is one) is refused
    politely unless the sender is one of the group's administrators."""

    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Any:
        if changes(update, context) and not await admins.may_change(context.bot, update):
            chat = update.effective_chat
            logger.info("change refused to a non-administrator in chat=%s", chat.id if chat else None)
            if update.callback_query is not None:
                await update.callback_query.answer(GROUP_ADMINS_ONLY_SHORT, show_alert=True)
            elif update.effective_message is not None:
                await update.effective_message.reply_html(GROUP_ADMINS_ONLY)
            return None
        return await callback(update, context)

    guarded.__name__ = getattr(callback, "__name__", "guarded")
    guarded.__doc__ = callback.__doc__
    return guarded
