"""/forget: delete everything stored about one chat, so that no row keeps its chat id or pk."""

from __future__ import annotations

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from bot.store.figures import own_source
from bot.store.tables import (
    Alert,
    Chat,
    ChatStatus,
    Delivery,
    DeliveryStatus,
    ExpectationRow,
    Watch,
)


def stop_deliveries(session: Session, chat_id: int) -> int:
    """Stop the chat (no alert fans out to it any more) and cancel its pending deliveries, so no
    sender takes one up while /forget waits for those already on the wire; return how many are."""
    session.exec(update(Chat).where(col(Chat.chat_id) == chat_id).values(status=ChatStatus.STOPPED))
    pks = select(Chat.id).where(Chat.chat_id == chat_id).scalar_subquery()
    session.exec(update(Delivery).where(col(Delivery.chat_pk) == pks, col(Delivery.status) == DeliveryStatus.PENDING)
                 .values(status=DeliveryStatus.CANCELLED))
    return deliveries_on_the_wire(session, chat_id)


def deliveries_on_the_wire(session: Session, chat_id: int) -> int:
    """Return how many of the chat's deliveries a sender has taken up and not yet recorded."""
    return len(session.exec(
        select(Delivery.id).join(Chat, col(Chat.id) == col(Delivery.chat_pk))
        .where(Chat.chat_id == chat_id, col(Delivery.status) == DeliveryStatus.SENDING)
    ).all())


def forget_chat(session: Session, chat_id: int) -> bool:
    """Delete the chat, its watchlist, own numbers (expectations of source chat:<pk>), settings,
    deliveries (pending or past) and the reminders and previews rendered for it alone; a broadcast
    it sent keeps its text but no longer names it. Return False when nothing was stored."""
    chat = session.exec(select(Chat).where(Chat.chat_id == chat_id)).first()
    if chat is None or chat.id is None:
        return False
    pk = chat.id
    # reminders and weekly previews are rendered for one chat: keys reminder:<pk>:... and digest:<pk>:...
    own_alerts = select(Alert.id).where(or_(
        col(Alert.dedup_key).startswith(f"reminder:{pk}:"), col(Alert.dedup_key).startswith(f"digest:{pk}:"),
    ))
    alert_ids = list(session.exec(own_alerts))
    if alert_ids:
        session.exec(delete(Delivery).where(col(Delivery.alert_id).in_(alert_ids)))
        session.exec(update(Alert).where(col(Alert.replaces_alert_id).in_(alert_ids))
                     .values(replaces_alert_id=None))
        session.exec(delete(Alert).where(col(Alert.id).in_(alert_ids)))
    session.exec(delete(Delivery).where(col(Delivery.chat_pk) == pk))
    session.exec(delete(Watch).where(col(Watch.chat_pk) == pk))
    session.exec(delete(ExpectationRow).where(col(ExpectationRow.source) == own_source(pk)))
    for alert in session.exec(select(Alert).where(col(Alert.dedup_key).startswith(f"broadcast:{chat_id}:"))):
        alert.dedup_key = f"broadcast:forgotten:{alert.id}"
        session.add(alert)
    session.flush()
    session.exec(delete(Chat).where(col(Chat.id) == pk))
    return True

