"""Quiet hours and expiry at claim time: what may go out now, what waits, what is dropped.

During a chat's quiet hours only results go out (a results filing notice, the figures, their
corrections), unless the chat asked for quiet on everything (`/quiet 22:00-07:00 all`); every
other due delivery waits to the end of the quiet hours (its next_attempt_at moves there). An
alert past its expiry (a reminder after its report) is never sent: its delivery is cancelled, at
once when the quiet hours end after it; so is a waiting reminder whose report moved to another day.
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
from bot.engine.reminders import reminded_day, still_on
from bot.store.tables import AlertKind, Chat, Delivery, DeliveryStatus, EarningsEvent

_delivery = Delivery.__table__
_chat = Chat.__table__
_event = EarningsEvent.__table__

# What quiet hours never hold back, unless the chat asked for quiet on everything.
RESULT_KINDS = frozenset({AlertKind.RESULT, AlertKind.CORRECTION, AlertKind.FILING})
EXPIRED = "expired: its report is out"
MOVED = "its report moved"


def hold_back(connection: Connection, rows: Sequence[Any], now: datetime) -> set[int]:
    """Cancel expired rows and reminders of a report that moved, defer those quiet hours hold;
    return the ids of all of them."""
    expired = [row.id for row in rows if row.expires_at is not None and as_utc(row.expires_at) <= as_utc(now)]
    if expired:
        cancel_pending(connection, expired, EXPIRED)
    moved = _moved_reminders(connection, [row for row in rows if row.id not in set(expired)])
    if moved:
        cancel_pending(connection, moved, MOVED)
    waiting = [row for row in rows if row.id not in set(expired) | set(moved)]
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
    return set(expired) | set(moved) | set(dropped) | set(deferred)


def _moved_reminders(connection: Connection, rows: Sequence[Any]) -> list[int]:
    """Return the reminders still waiting (in quiet hours, say) whose report has since moved to
    another day in the chat's zone or is out: the reminders of its new date are their own alerts."""
    reminders = [row for row in rows if row.kind == AlertKind.REMINDER and row.event_id is not None]
    if not reminders:
        return []
    events = {event.id: event for event in connection.execute(
        select(_event).where(_event.c.id.in_({row.event_id for row in reminders}))).all()}
    zones = dict(connection.execute(
        select(_chat.c.id, _chat.c.timezone).where(_chat.c.id.in_({row.chat_pk for row in reminders}))).all())
    moved = []
    for row in reminders:
        day, event = reminded_day(row.dedup_key), events.get(row.event_id)
        if day is None:
            continue
        if event is None or not still_on(event.state, event.report_date, event.timing, event.report_time,
                                         zone=zones[row.chat_pk], day=day):
            moved.append(row.id)
    return moved


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
