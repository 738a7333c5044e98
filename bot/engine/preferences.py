"""Per-chat preferences: which kinds of company announcements (beyond results) a chat wants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.engine.subscriptions import get_chat, register_chat
from bot.store.tables import Chat, ChatStatus, Watch


@dataclass(frozen=True)
class AnnouncementKind:
    """A group of SEC filings a chat can opt into."""

    key: str
    title: str
    items: tuple[str, ...] = ()  # 8-K items
    forms: tuple[str, ...] = ()  # whole form types
    feed_types: tuple[str, ...] = ()  # what to ask EDGAR's current-filings feed for (8-K is always read)


ANNOUNCEMENT_KINDS = (
    AnnouncementKind("officers", "Officers and directors (8-K 5.02)", items=("5.02",)),
    AnnouncementKind("agreements", "Material agreements (8-K 1.01)", items=("1.01",)),
    AnnouncementKind("disclosures", "Reg FD and other events (8-K 7.01, 8.01)", items=("7.01", "8.01")),
    AnnouncementKind("restructuring", "Restructuring and impairments (8-K 2.05, 2.06)", items=("2.05", "2.06")),
    AnnouncementKind("stakes", "Large stakes (SC 13D / 13G)",
                     forms=("SC 13D", "SC 13D/A", "SC 13G", "SC 13G/A", "SCHEDULE 13D", "SCHEDULE 13G",
                            "SCHEDULE 13D/A", "SCHEDULE 13G/A"),
                     feed_types=("SC 13D", "SC 13G")),
    AnnouncementKind("insiders", "Insider trades (Form 4)", forms=("4", "4/A"), feed_types=("4",)),
)
KINDS_BY_KEY = {kind.key: kind for kind in ANNOUNCEMENT_KINDS}


def kinds_of_filing(form: str, items: tuple[str, ...]) -> list[AnnouncementKind]:
    """Return the announcement kinds a filing belongs to (none for results or unlisted items)."""
    form = form.upper().strip()
    found = []
    for kind in ANNOUNCEMENT_KINDS:
        if form in kind.forms or (form.startswith("8-K") and set(items) & set(kind.items)):
            found.append(kind)
    return found


def chosen_kinds(chat: Chat) -> set[str]:
    """Return the announcement kinds the chat opted into."""
    return {key for key in chat.announcement_kinds.split(",") if key in KINDS_BY_KEY}


def set_announcement(
    session: Session, chat_id: int, key: str, enabled: bool, *, now: datetime, kind: str = "private",
    title: str | None = None,
) -> set[str]:
    """Turn one announcement kind on or off for the chat; return the chat's kinds afterwards."""
    if key not in KINDS_BY_KEY:
        raise KeyError(key)
    chat = get_chat(session, chat_id) or register_chat(session, chat_id, kind=kind, title=title, now=now)[0]
    kinds = chosen_kinds(chat)
    if enabled:
        kinds.add(key)
    else:
        kinds.discard(key)
    chat.announcement_kinds = ",".join(k.key for k in ANNOUNCEMENT_KINDS if k.key in kinds)
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
