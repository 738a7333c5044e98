"""Quiet hours and expiry at claim time: what may go out now, what waits, what is dropped.

During a chat's quiet hours only results go out (a results filing notice, the figures, their
corrections), unless the chat asked for quiet on everything (`/quiet 22:00-07:00 all`); every
other due delivery waits to the end of the quiet hours (its next_attempt_at moves there). An
alert past its expiry (a reminder after its report) is never sent: its delivery is cancelled, at
once when the quiet hours end after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from bot.delivery.outcomes import cancel_pending
from bot.domain.market_time import as_utc
from bot.domain.moments import zone_of
from bot.domain.reminder_times import quiet_until
from bot.store.tables import AlertKind, Chat, Delivery, DeliveryStatus

_delivery = Delivery.__table__
_chat = Chat.__table__

# What quiet hours never hold back, unless the chat asked for quiet on everything.
RESULT_KINDS = frozenset({AlertKind.RESULT, AlertKind.CORRECTION, AlertKind.FILING})
EXPIRED = "expired: its report is out"


def hold_back(connection: Connection, rows: Sequence[Any], now: datetime) -> set[int]:
    """Cancel expired rows and defer those quiet hours hold; return the ids of both."""
    expired = [row.id for row in rows if row.expires_at is not None and as_utc(row.expires_at) <= as_utc(now)]
    if expired:
        cancel_pending(connection, expired, EXPIRED)
    waiting = [row for row in rows if row.id not in set(expired)]
    quiet = _quiet_ends(connection, {row.chat_pk for row in waiting}, now)
    deferred: dict[int, datetime] = {}
    dropped: list[int] = []
    for row in waiting:
        end = quiet.get(row.chat_pk)
        if end is None or (row.kind in RESULT_KINDS and not end[1]):
            continue
        if row.expires_at is not None and as_utc(row.expires_at) <= end[0]:
            dropped.append(row.id)  # it would arrive after its report
        else:
            deferred[row.id] = end[0]
    if dropped:
        cancel_pending(connection, dropped, EXPIRED + " when quiet hours end")
    if deferred:
        connection.execute(
            update(_delivery).where(_delivery.c.id == bindparam("delivery_id"),
                                    _delivery.c.status == DeliveryStatus.PENDING)
            .values(next_attempt_at=bindparam("until")),
            [{"delivery_id": delivery_id, "until": until} for delivery_id, until in deferred.items()],
        )
    return set(expired) | set(dropped) | set(deferred)


def _quiet_ends(connection: Connection, chat_pks: set[int], now: datetime) -> dict[int, tuple[datetime, bool]]:
    """Return, for each of these chats now in its quiet hours, when they end and whether they
    hold results too."""
    if not chat_pks:
        return {}
    chats = connection.execute(
        select(_chat.c.id, _chat.c.timezone, _chat.c.quiet_start, _chat.c.quiet_end, _chat.c.quiet_all)
        .where(_chat.c.id.in_(chat_pks), _chat.c.quiet_start.is_not(None), _chat.c.quiet_end.is_not(None))
    ).all()
    ends: dict[int, tuple[datetime, bool]] = {}
    for chat in chats:
        until = quiet_until(now, zone_of(chat.timezone), chat.quiet_start, chat.quiet_end)
        if until is not None:
            ends[chat.id] = (until, bool(chat.quiet_all))
    return ends
