"""Administration: who is the bot's administrator, what /stats reads and what /broadcast queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.engine.alerts import BroadcastAlert
from bot.engine.ports import Outbox
from bot.store.stats import DeliveryStats, count_deliveries, delivery_stats


@dataclass(frozen=True)
class AdminRule:
    """ADMIN_CHAT_IDS and ADMIN_USER_IDS: who may use the administrator commands."""

    chat_ids: frozenset[int] = frozenset()
    user_ids: frozenset[int] = frozenset()

    def allows(self, chat_id: int, user_id: int | None) -> bool:
        """Return True when a message from user_id in chat_id comes from an administrator.

        With ADMIN_USER_IDS set the sender must be one of them (a member of an admin group is not
        an administrator by membership alone), and in one of ADMIN_CHAT_IDS when those are set too;
        with only ADMIN_CHAT_IDS set, anyone in those chats is; with neither, nobody is."""
        if self.user_ids:
            in_chat = not self.chat_ids or chat_id in self.chat_ids
            return user_id is not None and user_id in self.user_ids and in_chat
        return chat_id in self.chat_ids


def read_stats(session: Session, *, now: datetime) -> DeliveryStats:
    """Return chats and deliveries by status and the flood waits of the last hour."""
    return delivery_stats(session, now)


def broadcast(session: Session, text: str, *, admin_chat_id: int, outbox: Outbox, now: datetime) -> int:
    """Queue an administrator's message for every active chat; return how many it is addressed to."""
    published = outbox.publish(session, BroadcastAlert(text=text, admin_chat_id=admin_chat_id), now=now)
    if published.alert is None or published.alert.id is None:
        return 0
    return count_deliveries(session, published.alert.id)
