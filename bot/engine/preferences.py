"""Per-chat preferences: which kinds of company announcements (beyond results) a chat wants, its
reminders and weekly preview, and its quiet hours."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from bot.catalog import AnnouncementKind, catalog
from bot.domain.moments import DEFAULT_ZONE
from bot.domain.thresholds import MAX_BAND_BP, MAX_MIN_SURPRISE_BP
from bot.engine.subscriptions import get_chat, register_chat
from bot.store.tables import Chat, ChatStatus, Watch


def announcement_kinds() -> tuple[AnnouncementKind, ...]:
    """Return the kinds of announcements a chat can opt into, in the catalog's order."""
    return catalog().announcement_kinds


def announcement_kind(key: str) -> AnnouncementKind | None:
    """Return the kind with this key (what users type: `/settings insiders on`), if any."""
    return catalog().kind(key)


def kinds_of_filing(form: str, items: tuple[str, ...]) -> list[AnnouncementKind]:
    """Return the announcement kinds a filing belongs to (none for results or unlisted items)."""
    form = form.upper().strip()
    found = []
    for kind in announcement_kinds():
        if form in kind.forms or (form.startswith("8-K") and set(items) & set(kind.items)):
            found.append(kind)
    return found


def chosen_kinds(chat: Chat) -> set[str]:
    """Return the announcement kinds the chat opted into."""
    return {key for key in chat.announcement_kinds.split(",") if announcement_kind(key) is not None}


def set_announcement(
    session: Session, chat_id: int, key: str, enabled: bool, *, now: datetime, kind: str = "private",
    title: str | None = None,
) -> set[str]:
    """Turn one announcement kind on or off for the chat; return the chat's kinds afterwards."""
    if announcement_kind(key) is None:
        raise KeyError(key)
    chat = get_chat(session, chat_id) or register_chat(session, chat_id, kind=kind, title=title, now=now)[0]
    kinds = chosen_kinds(chat)
    if enabled:
        kinds.add(key)
    else:
        kinds.discard(key)
    chat.announcement_kinds = ",".join(k.key for k in announcement_kinds() if k.key in kinds)
    chat.updated_at = now
    session.add(chat)
    session.flush()
    return kinds


def announcement_kinds_of(session: Session, chat_id: int) -> set[str]:
    """Return the chat's announcement kinds (empty for an unknown chat)."""
    chat = get_chat(session, chat_id)
    return chosen_kinds(chat) if chat else set()


def announcement_audience(session: Session, company_ids: list[int], kind_keys: set[str]) -> list[int]:
    """Return the chat rows (primary keys) that watch one of the companies and want one of these kinds."""
    chats = session.exec(
        select(Chat)
        .join(Watch, col(Watch.chat_pk) == col(Chat.id))
        .where(col(Watch.company_id).in_(company_ids), Chat.status == ChatStatus.ACTIVE,
               Chat.announcement_kinds != "")
        .distinct()
    ).all()
    return [c.id for c in chats if c.id is not None and chosen_kinds(c) & kind_keys]


def any_chat_wants(session: Session, kind_keys: set[str]) -> bool:
    """Return True when some active chat opted into one of these kinds."""
    rows = session.exec(
        select(Chat.announcement_kinds).where(Chat.status == ChatStatus.ACTIVE, Chat.announcement_kinds != "")
    ).all()
    return any(set(row.split(",")) & kind_keys for row in rows)


def set_revisions(
    session: Session, chat_id: int, enabled: bool, *, now: datetime, kind: str = "private", title: str | None = None,
) -> bool:
    """Turn estimate-revision alerts on or off for the chat; return the setting afterwards."""
    chat = get_chat(session, chat_id) or register_chat(session, chat_id, kind=kind, title=title, now=now)[0]
    chat.revisions, chat.updated_at = enabled, now
    session.add(chat)
    session.flush()
    return chat.revisions


def revisions_of(session: Session, chat_id: int) -> bool:
    """Does the chat get estimate-revision alerts (off for an unknown chat)?"""
    chat = get_chat(session, chat_id)
    return bool(chat and chat.revisions)


# -- reminders, the weekly preview and quiet hours ------------------------------------------------

SWITCHES = {
    "reminders": "Reminders: the evening before and the morning of each report",
    "preview": "Weekly preview: Sunday 18:00, the week's reports",
    "revisions": "Estimate revisions (consensus moves over 2%) in the 30 days before a report",
}


@dataclass(frozen=True)
class ChatSettings:
    """What /settings shows: the announcement kinds chosen and the switches (revisions opt-in)."""

    announcements: frozenset[str] = frozenset()
    reminders: bool = True
    preview: bool = True
    revisions: bool = False
    in_line_band_bp: int | None = None  # None: the default band
    min_surprise_bp: int = 0  # 0: every result rings

    def switch(self, name: str) -> bool:
        return bool(getattr(self, name))


@dataclass(frozen=True)
class QuietSetting:
    """A chat's quiet hours ('22:00', '07:00' local), None when off; everything: results wait too."""

    start: str | None
    end: str | None
    everything: bool
    zone: str


def settings_of(session: Session, chat_id: int) -> ChatSettings:
    """Return the chat's settings (the defaults for an unknown chat)."""
    chat = get_chat(session, chat_id)
    if chat is None:
        return ChatSettings()
    return ChatSettings(frozenset(chosen_kinds(chat)), reminders=chat.reminders, preview=chat.preview,
                        revisions=chat.revisions, in_line_band_bp=chat.in_line_band_bp,
                        min_surprise_bp=chat.min_surprise_bp)


def set_band(session: Session, chat_id: int, bp: int | None, *, now: datetime, kind: str = "private",
             title: str | None = None) -> ChatSettings:
    """Set the chat's own in-line band in basis points (None: back to the default); return its settings."""
    if bp is not None and not 0 <= bp <= MAX_BAND_BP:
        raise ValueError(bp)
    chat = get_chat(session, chat_id) or register_chat(session, chat_id, kind=kind, title=title, now=now)[0]
    chat.in_line_band_bp, chat.updated_at = bp, now
    session.add(chat)
    session.flush()
    return settings_of(session, chat_id)


def set_min_surprise(session: Session, chat_id: int, bp: int, *, now: datetime, kind: str = "private",
                     title: str | None = None) -> ChatSettings:
    """Set the surprise under which the chat's results come silently (basis points, 0: off)."""
    if not 0 <= bp <= MAX_MIN_SURPRISE_BP:
        raise ValueError(bp)
    chat = get_chat(session, chat_id) or register_chat(session, chat_id, kind=kind, title=title, now=now)[0]
    chat.min_surprise_bp, chat.updated_at = bp, now
    session.add(chat)
    session.flush()
    return settings_of(session, chat_id)


@dataclass(frozen=True)
class Thresholds:
    """A chat's own in-line band (None: the default) and minimum surprise (0: off)."""

    in_line_band_bp: int | None
    min_surprise_bp: int


def chat_thresholds(session: Session, chat_pks: Sequence[int]) -> dict[int, Thresholds]:
    """Return the thresholds of those of these chats (primary keys) that set their own.

    One read of the chats with settings of their own (few), not an IN list of a result's whole
    audience (tens of thousands)."""
    audience = set(chat_pks)
    rows = session.exec(
        select(Chat.id, Chat.in_line_band_bp, Chat.min_surprise_bp).where(
            or_(col(Chat.in_line_band_bp).is_not(None), col(Chat.min_surprise_bp) > 0),
        )
    ).all()
    return {pk: Thresholds(band, minimum) for pk, band, minimum in rows if pk in audience}


def set_switch(session: Session, chat_id: int, name: str, enabled: bool, *, now: datetime,
               kind: str = "private", title: str | None = None) -> ChatSettings:
    """Turn reminders, the weekly preview or revision alerts on or off for the chat; return its
    settings afterwards."""
    if name not in SWITCHES:
        raise KeyError(name)
    chat = get_chat(session, chat_id) or register_chat(session, chat_id, kind=kind, title=title, now=now)[0]
    setattr(chat, name, enabled)
    chat.updated_at = now
    session.add(chat)
    session.flush()
    return settings_of(session, chat_id)


def quiet_of(session: Session, chat_id: int) -> QuietSetting:
    """Return the chat's quiet hours (off for an unknown chat)."""
    chat = get_chat(session, chat_id)
    if chat is None:
        return QuietSetting(None, None, everything=False, zone=DEFAULT_ZONE)
    return QuietSetting(chat.quiet_start, chat.quiet_end, everything=chat.quiet_all, zone=chat.timezone)


def set_quiet(session: Session, chat_id: int, span: tuple[str, str] | None, *, everything: bool = False,
              now: datetime, kind: str = "private", title: str | None = None) -> QuietSetting:
    """Set the chat's quiet hours to span (local 'HH:MM' times), or turn them off with None."""
    chat = get_chat(session, chat_id) or register_chat(session, chat_id, kind=kind, title=title, now=now)[0]
    chat.quiet_start, chat.quiet_end = span if span is not None else (None, None)
    chat.quiet_all = everything if span is not None else False
    chat.updated_at = now
    session.add(chat)
    session.flush()
    return quiet_of(session, chat_id)
