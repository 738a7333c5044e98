"""The outbox: alerts and their deliveries, written in the caller's transaction.

An alert is one row; each chat that should see it gets one delivery row, unique per (alert, chat).
Nothing here commits: the caller's transaction makes the alert and its deliveries appear together,
so a crash never leaves an alert half-addressed. The sender (bot.delivery.sender) drains the rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Update, case, false, insert, literal, null, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.store.tables import (
    ALERT_PRIORITY,
    Alert,
    AlertKind,
    Chat,
    ChatStatus,
    Delivery,
    DeliveryStatus,
    Watch,
)
from bot.store.types import UtcDateTime

logger = logging.getLogger(__name__)

_CHAT_PK_CHUNK = 5000
_ANALYZE_AFTER_ROWS = 5000
# A correction goes to every chat that has (or may have) seen the alert it revises.
_CORRECTABLE = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT)
_DEFAULT_ZONE = "America/New_York"

ZoneText = Callable[[str], str]  # a zone's IANA name -> the alert's text as that zone reads it


class _ZoneTexts:
    """Each zone's own text, rendered once per distinct zone (never once per chat); a zone that
    reads like the alert's text gets none, and its deliveries show the alert's."""

    def __init__(self, text: str, render: ZoneText | None) -> None:
        self.text = text
        self.render = render
        self.rendered: dict[str, str | None] = {_DEFAULT_ZONE: None}

    def of(self, session: Session, addressed: Select[Any]) -> dict[str, str]:
        """Return {zone: text} for the zones of the chats `addressed` (chat pk, timezone) yields."""
        if self.render is None:
            return {}
        zones = session.exec(select(addressed.subquery().c[1]).distinct()).all()  # type: ignore[call-overload]
        for zone in zones:
            if zone not in self.rendered:
                rendering = self.render(zone)
                self.rendered[zone] = rendering if rendering != self.text else None
        return {zone: own for zone in zones if (own := self.rendered.get(zone)) is not None}


def enqueue_alert(
    session: Session,
    *,
    kind: AlertKind,
    dedup_key: str,
    text: str,
    company_id: int | None = None,
    event_id: int | None = None,
    filing_id: int | None = None,
    chat_pks: Iterable[int] | None = None,
    now: datetime,
    zone_text: ZoneText | None = None,
    expires_at: datetime | None = None,
) -> Alert | None:
    """Write an alert and a pending delivery per active chat; None when dedup_key already exists.

    With chat_pks None, every active chat watching company_id is addressed. text is what a New York
    chat reads; with zone_text, a chat in another zone whose rendering differs gets its own text on
    its delivery (Delivery.text), rendered once for each zone among the chats addressed. An alert
    with expires_at is never sent after that moment (claims cancel it).
    """
    alert_id = _insert_alert(
        session, kind=kind, dedup_key=dedup_key, text=text, company_id=company_id,
        event_id=event_id, filing_id=filing_id, replaces_alert_id=None, now=now, expires_at=expires_at,
    )
    if alert_id is None:
        return None
    priority = ALERT_PRIORITY[kind]
    zone_texts = _ZoneTexts(text, zone_text)
    if chat_pks is None:
        if company_id is not None:
            watchers = _watchers(company_id)
            _insert_deliveries(session, alert_id, priority, now, watchers, zone_texts.of(session, watchers))
    else:
        pks = sorted(set(chat_pks))
        for start in range(0, len(pks), _CHAT_PK_CHUNK):
            chunk = pks[start : start + _CHAT_PK_CHUNK]
            chosen = select(Chat.id, Chat.timezone).where(col(Chat.id).in_(chunk), Chat.status == ChatStatus.ACTIVE)
            _insert_deliveries(session, alert_id, priority, now, chosen, zone_texts.of(session, chosen))
    return session.get(Alert, alert_id)


def _watchers(company_id: int) -> Any:
    """The active chats watching a company: (chat pk, timezone)."""
    return (
        select(Watch.chat_pk, Chat.timezone)
        .join(Chat, col(Chat.id) == Watch.chat_pk)
        .where(Watch.company_id == company_id, Chat.status == ChatStatus.ACTIVE)
    )


def enqueue_broadcast(session: Session, *, text: str, now: datetime, admin_chat_id: int) -> Alert:
    """Write an administrator's announcement addressed to every active chat."""
    dedup_key = f"broadcast:{admin_chat_id}:{now.isoformat()}"
    alert_id = _insert_alert(
        session, kind=AlertKind.BROADCAST, dedup_key=dedup_key, text=text, company_id=None,
        event_id=None, filing_id=None, replaces_alert_id=None, now=now,
    )
    if alert_id is None:  # the same command seen twice in the same microsecond
        return session.exec(select(Alert).where(Alert.dedup_key == dedup_key)).one()
    active = select(Chat.id).where(Chat.status == ChatStatus.ACTIVE)
    _insert_deliveries(session, alert_id, ALERT_PRIORITY[AlertKind.BROADCAST], now, active)
    return session.get(Alert, alert_id)  # type: ignore[return-value]


def enqueue_correction(
    session: Session, *, original_dedup_key: str, dedup_key: str, text: str, now: datetime,
    zone_text: ZoneText | None = None,
) -> Alert | None:
    """Write revised figures for an alert: sent messages get edited, unsent ones get the new text
    (each chat its own zone's, as enqueue_alert does).

    Returns None when dedup_key already exists or the original alert is unknown.
    """
    original = session.exec(select(Alert).where(Alert.dedup_key == original_dedup_key)).first()
    if original is None or original.id is None:
        logger.warning("correction for an unknown alert key=%s", original_dedup_key)
        return None
    alert_id = _insert_alert(
        session, kind=AlertKind.CORRECTION, dedup_key=dedup_key, text=text,
        company_id=original.company_id, event_id=original.event_id, filing_id=original.filing_id,
        replaces_alert_id=original.id, now=now,
    )
    if alert_id is None:
        return None
    family = _alert_family(session, original.id) - {alert_id}
    readers = (
        select(Delivery.chat_pk, Chat.timezone)
        .join(Chat, col(Chat.id) == Delivery.chat_pk)
        .where(
            col(Delivery.alert_id).in_(family),
            col(Delivery.status).in_(_CORRECTABLE),
            Chat.status == ChatStatus.ACTIVE,
        )
        .distinct()
    )
    zone_texts = _ZoneTexts(text, zone_text).of(session, readers)
    _insert_deliveries(session, alert_id, ALERT_PRIORITY[AlertKind.CORRECTION], now, readers, zone_texts)
    session.exec(
        update(Delivery)
        .where(col(Delivery.alert_id).in_(family), Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, last_error=f"superseded by {dedup_key}"[:500])
    )
    return session.get(Alert, alert_id)


def chat_deactivation(chat_pk: int, reason: str, now: datetime) -> list[Update]:
    """Return the statements that block a chat and cancel its waiting deliveries."""
    return [
        update(Chat).where(col(Chat.id) == chat_pk).values(status=ChatStatus.BLOCKED, updated_at=now),
        update(Delivery)
        .where(
            Delivery.chat_pk == chat_pk,
            col(Delivery.status).in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
        )
        .values(status=DeliveryStatus.CANCELLED, last_error=reason[:500]),
    ]


def _alert_family(session: Session, alert_id: int) -> set[int]:
    """Return the original alert and every correction of it, at any depth."""
    root = alert_id
    while True:
        parent = session.exec(select(Alert.replaces_alert_id).where(Alert.id == root)).first()
        if parent is None:
            break
        root = parent
    family = {root}
    frontier = {root}
    while frontier:
        children = set(
            session.exec(select(Alert.id).where(col(Alert.replaces_alert_id).in_(frontier))).all()
        )
        frontier = {child for child in children if child is not None} - family
        family |= frontier
    return family


def _insert_alert(session: Session, *, kind: AlertKind, dedup_key: str, text: str, now: datetime,
                  expires_at: datetime | None = None, **links: int | None) -> int | None:
    values: dict[str, Any] = {
        "kind": str(kind), "dedup_key": dedup_key, "text": text, "priority": ALERT_PRIORITY[kind],
        "created_at": now, "expires_at": expires_at, **links,
    }
    dialect = session.get_bind().dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        builder(Alert).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(col(Alert.id))
    )
    return session.exec(statement).scalar_one_or_none()  # type: ignore[call-overload]


def _insert_deliveries(
    session: Session, alert_id: int, priority: int, now: datetime, chat_pks: Select[Any],
    zone_texts: dict[str, str] | None = None,
) -> None:
    """INSERT ... SELECT one pending delivery per chat id the subquery yields (its first column);
    with zone_texts, a chat whose zone (the second column) has its own text gets it."""
    chats = chat_pks.subquery()
    own_text = case(zone_texts, value=chats.c[1], else_=null()) if zone_texts else null()
    rows = select(
        literal(alert_id),
        chats.c[0],
        literal(str(DeliveryStatus.PENDING)),
        literal(priority),
        literal(0),
        literal(now, UtcDateTime()),
        literal(1),
        false(),
        own_text,
    )
    columns = ["alert_id", "chat_pk", "status", "priority", "attempts", "next_attempt_at",
               "message_parts", "in_doubt", "text"]
    statement = insert(Delivery).from_select(columns, rows).execution_options(preserve_rowcount=True)
    result = session.exec(statement)  # type: ignore[call-overload]
    if result.rowcount >= _ANALYZE_AFTER_ROWS and session.get_bind().dialect.name == "postgresql":
        # The planner's row estimates predate this insert: without fresh ones it would sort the
        # whole outbox for every claim instead of walking the index (130 ms a claim at 100k rows).
        session.exec(text("ANALYZE delivery"))  # type: ignore[call-overload]
