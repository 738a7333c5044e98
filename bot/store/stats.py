"""What /stats counts: chats by status, deliveries by status, Telegram's recent flood waits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.store.tables import Chat, ChatStatus, Delivery, DeliveryStatus, FloodWait


@dataclass(frozen=True)
class DeliveryStats:
    """What /stats shows: chats by status, deliveries by status, recent flood waits."""

    chats_total: int
    chats_active: int
    chats_blocked: int
    chats_stopped: int
    deliveries: dict[str, int]
    edited: int
    flood_waits_last_hour: int
    last_flood_wait_at: datetime | None


def delivery_stats(session: Session, now: datetime) -> DeliveryStats:
    """Count chats and deliveries by status, and the 429s Telegram sent in the last hour."""
    chats = dict(session.exec(select(Chat.status, func.count()).group_by(Chat.status)).all())
    by_status = {str(status): 0 for status in DeliveryStatus}
    by_status.update(session.exec(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    edited = session.exec(
        select(func.count()).select_from(Delivery).where(col(Delivery.edited_at).is_not(None))
    ).one()
    recent = session.exec(
        select(func.count(), func.max(FloodWait.occurred_at)).where(
            FloodWait.occurred_at >= now - timedelta(hours=1)
        )
    ).one()
    return DeliveryStats(
        chats_total=sum(chats.values()),
        chats_active=chats.get(ChatStatus.ACTIVE, 0),
        chats_blocked=chats.get(ChatStatus.BLOCKED, 0),
        chats_stopped=chats.get(ChatStatus.STOPPED, 0),
        deliveries=by_status,
        edited=edited,
        flood_waits_last_hour=recent[0],
        last_flood_wait_at=recent[1],
    )


def count_deliveries(session: Session, alert_id: int) -> int:
    """Return how many chats an alert is addressed to."""
    return session.exec(
        select(func.count()).select_from(Delivery).where(Delivery.alert_id == alert_id)
    ).one()
