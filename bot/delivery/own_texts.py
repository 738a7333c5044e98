"""Chats with their own numbers read their own result text: rendered once per distinct (time zone,
own numbers) group, never once per chat, and written on those chats' deliveries (Delivery.text),
which the sender and correction edits show instead of the alert's text."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.store.tables import Chat, Delivery

# The text for chats of one group as a zone (its IANA name) reads it.
GroupText = Callable[[str], str]


def write_own_texts(session: Session, alert_id: int, groups: Sequence[tuple[Sequence[int], GroupText]]) -> int:
    """Give each group's chats among the alert's deliveries the group's text in their zone; return
    how many texts were rendered."""
    rendered = 0
    for chat_pks, render in groups:
        rows = session.exec(
            select(Delivery.id, Chat.timezone).join(Chat, col(Chat.id) == Delivery.chat_pk)
            .where(Delivery.alert_id == alert_id, col(Delivery.chat_pk).in_(list(chat_pks)))
        ).all()
        by_zone: dict[str, list[int]] = {}
        for delivery_id, zone in rows:
            if delivery_id is not None:
                by_zone.setdefault(zone, []).append(delivery_id)
        for zone, ids in by_zone.items():
            session.exec(update(Delivery).where(col(Delivery.id).in_(ids)).values(text=render(zone)))
            rendered += 1
    return rendered


def mark_silent(session: Session, alert_id: int, chat_pks: Sequence[int]) -> None:
    """Send the alert to these chats without a notification sound (Delivery.silent)."""
    pks = list(chat_pks)
    for start in range(0, len(pks), 5000):
        session.exec(update(Delivery).where(col(Delivery.alert_id) == alert_id,
                                            col(Delivery.chat_pk).in_(pks[start:start + 5000])).values(silent=True))
