"""A chat's time zone: what /timezone shows and sets (Chat.timezone, an IANA name)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.domain.moments import zone_of
from bot.domain.zones import ZoneLookup, resolve_zone
from bot.engine.subscriptions import get_chat, register_chat


@dataclass(frozen=True)
class ZoneChange:
    """What /timezone ZONE did: the chat's zone afterwards, and how the typed name resolved."""

    zone: str  # the chat's zone now: the new one, or the old one when the name was not a zone
    lookup: ZoneLookup

    @property
    def changed(self) -> bool:
        return self.lookup.zone is not None


def chat_timezone(session: Session, chat_id: int) -> str:
    """Return the chat's zone (New York for a chat the bot does not know yet)."""
    chat = get_chat(session, chat_id)
    return zone_of(chat.timezone if chat else None).key


def change_timezone(
    session: Session, chat_id: int, typed: str, *, now: datetime, kind: str = "private",
    title: str | None = None,
) -> ZoneChange:
    """Set the chat's zone to the one typed names; a name that is no zone changes nothing."""
    lookup = resolve_zone(typed)
    if lookup.zone is None:
        return ZoneChange(chat_timezone(session, chat_id), lookup)
    chat = get_chat(session, chat_id) or register_chat(session, chat_id, kind=kind, title=title, now=now)[0]
    chat.timezone = lookup.zone
    chat.updated_at = now
    session.add(chat)
    session.flush()
    return ZoneChange(lookup.zone, lookup)

