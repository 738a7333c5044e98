"""Deliveries put back in the queue: a group that became a supergroup, rows a dead process left
'sending'; and when the next pending delivery falls due."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, func, select, update

from bot.delivery.outcomes import deactivate_chat
from bot.domain.market_time import utc_now
from bot.store.tables import Alert, Chat, Delivery, DeliveryStatus, Watch

logger = logging.getLogger(__name__)

_delivery = Delivery.__table__
_chat = Chat.__table__
_alert = Alert.__table__
_watch = Watch.__table__

INTERRUPTED_TWICE = "interrupted twice while sending: it may have been delivered, not retried again"


def migrate_chat(
    db: Engine, chat_pk: int, new_chat_id: int, delivery_ids: Sequence[int], now: datetime
) -> None:
    """Give the chat its new (supergroup) id and queue these deliveries again for it.

    When the new id already has a row (the supergroup talked to us first), the old chat's
    watches and waiting deliveries move to it and the old row is retired.
    """
    with db.begin() as connection:
        connection.execute(
            update(_delivery).where(_delivery.c.id.in_(delivery_ids))
            .values(status=DeliveryStatus.PENDING, next_attempt_at=now)
        )
        current = connection.execute(select(_chat.c.chat_id).where(_chat.c.id == chat_pk)).scalar()
        if current == new_chat_id:
            return  # another job of this chat already moved it
        existing = connection.execute(
            select(_chat.c.id).where(_chat.c.chat_id == new_chat_id)
        ).scalar()
        # Messages in the old group can't be edited through the new id, and their ids may be
        # taken there by other messages: corrections of them go out as new messages.
        connection.execute(
            update(_delivery).where(_delivery.c.chat_pk == chat_pk, _delivery.c.status == DeliveryStatus.SENT)
            .values(message_id=None)
        )
        if existing is None:
            connection.execute(
                update(_chat).where(_chat.c.id == chat_pk).values(chat_id=new_chat_id)
            )
            return
        _fold_chat(connection, chat_pk, existing)


def _fold_chat(connection: Connection, old_pk: int, new_pk: int) -> None:
    taken_companies = select(_watch.c.company_id).where(_watch.c.chat_pk == new_pk)
    connection.execute(
        update(_watch).where(_watch.c.chat_pk == old_pk, _watch.c.company_id.not_in(taken_companies))
        .values(chat_pk=new_pk)
    )
    taken_alerts = select(_delivery.c.alert_id).where(_delivery.c.chat_pk == new_pk)
    connection.execute(
        update(_delivery)
        .where(
            _delivery.c.chat_pk == old_pk,
            _delivery.c.status == DeliveryStatus.PENDING,
            _delivery.c.alert_id.not_in(taken_alerts),
        )
        .values(chat_pk=new_pk)
    )
    deactivate_chat(connection, old_pk, "group moved to a supergroup the bot already knew")
    logger.info("chat folded into its supergroup old_pk=%s new_pk=%s", old_pk, new_pk)


def recover_in_flight(db: Engine, *, lease_ended_by: datetime | None = None) -> int:
    """Return 'sending' rows left by a dead process to the queue, each to be tried once more.

    With lease_ended_by, only rows whose lease ended by then (other senders may be alive).
    """
    in_flight = [_delivery.c.status == DeliveryStatus.SENDING]
    if lease_ended_by is not None:
        in_flight.append(_delivery.c.next_attempt_at <= lease_ended_by)
    with db.begin() as connection:
        connection.execute(
            update(_delivery)
            .where(*in_flight, _delivery.c.in_doubt.is_(True))
            .values(status=DeliveryStatus.FAILED, last_error=INTERRUPTED_TWICE)
        )
        # due at once, and first among its alert's waiting deliveries (it was claimed before them)
        alert_created = select(_alert.c.created_at).where(_alert.c.id == _delivery.c.alert_id).scalar_subquery()
        result = connection.execute(
            update(_delivery)
            .where(*in_flight)
            .values(status=DeliveryStatus.PENDING, in_doubt=True,
                    next_attempt_at=func.coalesce(alert_created, lease_ended_by or utc_now()))
        )
        return result.rowcount


def seconds_until_next_due(db: Engine, now: datetime) -> float | None:
    """Return seconds until the earliest pending delivery that is not yet due, or None."""
    with db.connect() as connection:
        earliest = connection.execute(
            select(func.min(_delivery.c.next_attempt_at)).where(
                and_(_delivery.c.status == DeliveryStatus.PENDING, _delivery.c.next_attempt_at > now)
            )
        ).scalar()
    if earliest is None:
        return None
    return max(0.0, (earliest - now).total_seconds())
