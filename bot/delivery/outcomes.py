"""What happened to claimed deliveries, recorded in batches: sent, edited, pending again, failed,
their chat gone; and the 429s seen on the way."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, update

from bot.delivery.outbox import chat_deactivation
from bot.domain.market_time import utc_now
from bot.store.tables import Delivery, DeliveryStatus, FloodWait

logger = logging.getLogger(__name__)

_delivery = Delivery.__table__

EDITED_ELSEWHERE = 0  # message_parts of a delivery that edited an earlier message


@dataclass(frozen=True)
class Sent:
    delivery_id: int
    message_id: int
    parts: int
    at: datetime


@dataclass(frozen=True)
class Edited:
    delivery_id: int
    message_id: int
    revised_delivery_ids: tuple[int, ...]
    at: datetime


@dataclass(frozen=True)
class Retry:
    delivery_ids: tuple[int, ...]
    next_attempt_at: datetime
    error: str | None
    count_attempt: bool = True
    in_doubt: bool = False


@dataclass(frozen=True)
class Failed:
    delivery_ids: tuple[int, ...]
    error: str


@dataclass(frozen=True)
class ChatGone:
    chat_pk: int
    delivery_ids: tuple[int, ...]
    reason: str


@dataclass(frozen=True)
class FloodSeen:
    at: datetime
    retry_after: float
    method: str


Outcome = Sent | Edited | Retry | Failed | ChatGone | FloodSeen


def record_outcomes(db: Engine, outcomes: Iterable[Outcome]) -> None:
    """Write what happened to claimed deliveries, in one transaction."""
    sent = [o for o in outcomes if isinstance(o, Sent)]
    rest = [o for o in outcomes if not isinstance(o, Sent)]
    with db.begin() as connection:
        if sent:
            connection.execute(
                update(_delivery)
                .where(_delivery.c.id == bindparam("delivery_id"))
                .values(
                    status=DeliveryStatus.SENT, message_id=bindparam("message_id"),
                    message_parts=bindparam("parts"), sent_at=bindparam("at"), last_error=None,
                ),
                [{"delivery_id": o.delivery_id, "message_id": o.message_id, "parts": o.parts,
                  "at": o.at} for o in sent],
            )
        for outcome in rest:
            _record_one(connection, outcome)


def _record_one(connection: Connection, outcome: Outcome) -> None:
    if isinstance(outcome, Edited):
        _record_edited(connection, outcome)
    elif isinstance(outcome, Retry):
        _record_retry(connection, outcome)
    elif isinstance(outcome, Failed):
        connection.execute(
            update(_delivery).where(_delivery.c.id.in_(outcome.delivery_ids)).values(
                status=DeliveryStatus.FAILED, attempts=_delivery.c.attempts + 1,
                last_error=outcome.error[:500],
            )
        )
    elif isinstance(outcome, ChatGone):
        deactivate_chat(connection, outcome.chat_pk, outcome.reason)
    elif isinstance(outcome, FloodSeen):
        connection.execute(
            insert(FloodWait.__table__).values(
                occurred_at=outcome.at, retry_after=outcome.retry_after, method=outcome.method
            )
        )


def _record_edited(connection: Connection, outcome: Edited) -> None:
    connection.execute(
        update(_delivery).where(_delivery.c.id == outcome.delivery_id).values(
            status=DeliveryStatus.SENT, message_id=outcome.message_id,
            message_parts=EDITED_ELSEWHERE, sent_at=outcome.at, last_error=None,
        )
    )
    connection.execute(
        update(_delivery).where(_delivery.c.id.in_(outcome.revised_delivery_ids))
        .values(edited_at=outcome.at)
    )


def _record_retry(connection: Connection, outcome: Retry) -> None:
    values: dict[str, Any] = {"status": DeliveryStatus.PENDING,
                              "next_attempt_at": outcome.next_attempt_at}
    if outcome.count_attempt:
        values["attempts"] = _delivery.c.attempts + 1
    if outcome.error is not None:
        values["last_error"] = outcome.error[:500]
    if outcome.in_doubt:
        values["in_doubt"] = True
    connection.execute(
        update(_delivery).where(_delivery.c.id.in_(outcome.delivery_ids)).values(**values)
    )


def deactivate_chat(connection: Connection, chat_pk: int, reason: str) -> None:
    """Block the chat and cancel what waits for it."""
    for statement in chat_deactivation(chat_pk, reason, utc_now()):
        connection.execute(statement)
    logger.info("chat deactivated chat_pk=%s reason=%s", chat_pk, reason)


def cancel_pending(connection: Connection, delivery_ids: list[int], reason: str) -> None:
    """Cancel those of these deliveries still pending, the reason kept as their last error."""
    connection.execute(
        update(_delivery)
        .where(_delivery.c.id.in_(delivery_ids), _delivery.c.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, last_error=reason)
    )
