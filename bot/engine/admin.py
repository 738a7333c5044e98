"""Administration: what /stats reads and what /broadcast queues, for ADMIN_CHAT_IDS only."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.engine.alerts import BroadcastAlert
from bot.engine.ports import Outbox
from bot.store.stats import DeliveryStats, count_deliveries, delivery_stats


def read_stats(session: Session, *, now: datetime) -> DeliveryStats:
    """Return chats and deliveries by status and the flood waits of the last hour."""
    return delivery_stats(session, now)


def broadcast(session: Session, text: str, *, admin_chat_id: int, outbox: Outbox, now: datetime) -> int:
    """Queue an administrator's message for every active chat; return how many it is addressed to."""
    published = outbox.publish(session, BroadcastAlert(text=text, admin_chat_id=admin_chat_id), now=now)
    if published.alert is None or published.alert.id is None:
        return 0
    return count_deliveries(session, published.alert.id)
