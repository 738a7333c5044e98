"""Corrections: a revised alert edits the message that showed the original, in place, when it can;
otherwise it goes out as a new message. Older versions still waiting are cancelled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Connection, func, select

from bot.delivery.coalesce import join_alerts
from bot.delivery.notices import folded_into_result, results_told
from bot.delivery.outcomes import EDITED_ELSEWHERE, cancel_pending
from bot.delivery.split import MAX_MESSAGE_UNITS, visible_length
from bot.store.tables import Alert, Delivery, DeliveryStatus

_delivery = Delivery.__table__
_alert = Alert.__table__


def shown_text() -> Any:
    """The text a delivery shows: its chat's own (another zone's rendering) when set, else the
    alert's. Sends and edits both read it, so a correction edits each chat's message with its own."""
    return func.coalesce(_delivery.c.text, _alert.c.text).label("text")


@dataclass(frozen=True)
class EditPlan:
    """Edit an earlier message in place: its whole new text, and which deliveries it revises."""

    message_id: int
    text: str
    revised_delivery_ids: tuple[int, ...]


@dataclass
class Corrections:
    """How the corrections among due rows reach their chats."""

    plans: dict[int, EditPlan | None] = field(default_factory=dict)  # row id: an edit, or None: send anew
    deferred: set[int] = field(default_factory=set)  # rows left waiting: an earlier version is on the wire
    superseded: set[int] = field(default_factory=set)  # deliveries cancelled: a newer version is due


def plan_corrections(connection: Connection, rows: Sequence[Any]) -> Corrections:
    """Plan every correction among these due rows; cancel the older versions they supersede."""
    found = Corrections()
    families: dict[int, set[int]] = {}
    for row in rows:
        if row.replaces_alert_id is None:
            continue
        family = _family(connection, families, row.alert_id)
        found.superseded |= _cancel_superseded(connection, row, family)
        decision = _plan_edit(connection, row, family, families)
        if isinstance(decision, str):  # "wait": the revised alert may be on the wire right now
            found.deferred.add(row.id)
        else:
            found.plans[row.id] = decision
    return found


def alert_family(connection: Connection, alert_id: int) -> set[int]:
    """Return the alert's original and every correction of it, the alert itself excluded."""
    root = alert_id
    while (parent := connection.execute(
        select(_alert.c.replaces_alert_id).where(_alert.c.id == root)
    ).scalar()) is not None:
        root = parent
    family = {root}
    frontier = {root}
    while frontier:
        children = set(connection.execute(
            select(_alert.c.id).where(_alert.c.replaces_alert_id.in_(frontier))
        ).scalars())
        frontier = children - family
        family |= frontier
    family.discard(alert_id)
    return family


def _family(connection: Connection, families: dict[int, set[int]], alert_id: int) -> set[int]:
    """Return alert_family(alert_id), looked up once per claim."""
    family = families.get(alert_id)
    if family is None:
        family = families[alert_id] = alert_family(connection, alert_id)
    return family


def _cancel_superseded(connection: Connection, row: Any, family: set[int]) -> set[int]:
    """Cancel this chat's still-unsent older versions of a corrected alert (an original whose send
    failed and was queued again after the correction came): only the revised text goes out."""
    older = [alert_id for alert_id in family if alert_id < row.alert_id]
    if not older:
        return set()
    ids = set(connection.execute(
        select(_delivery.c.id).where(
            _delivery.c.chat_pk == row.chat_pk, _delivery.c.alert_id.in_(older),
            _delivery.c.status == DeliveryStatus.PENDING,
        )
    ).scalars())
    if ids:
        cancel_pending(connection, list(ids), "superseded by a correction")
    return ids


def _plan_edit(
    connection: Connection, row: Any, family: set[int], families: dict[int, set[int]]
) -> EditPlan | None | Literal["wait"]:
    """Decide how a correction reaches one chat: an EditPlan, None (send anew) or 'wait'."""
    earlier = connection.execute(
        select(_delivery.c.id, _delivery.c.status, _delivery.c.message_id)
        .where(_delivery.c.chat_pk == row.chat_pk, _delivery.c.alert_id.in_(family))
        .order_by(_delivery.c.id)
    ).all()
    if any(d.status == DeliveryStatus.SENDING for d in earlier):
        return "wait"  # the revised alert may be on the wire right now
    shown = [d for d in earlier if d.status == DeliveryStatus.SENT and d.message_id is not None]
    if not shown:
        return None
    message_id = shown[-1].message_id
    return _rebuilt_message(connection, row, message_id, families)


def _rebuilt_message(
    connection: Connection, row: Any, message_id: int, families: dict[int, set[int]]
) -> EditPlan | None:
    """Return the message's whole text with the correction in place, or None if it can't be edited."""
    members = _message_members(connection, row.chat_pk, message_id)
    slots = [m for m in members if m.message_parts != EDITED_ELSEWHERE]
    if not slots or any(m.message_parts > 1 for m in slots):
        return None  # the alert went out split over several messages: send the correction anew
    texts = _shown_texts(connection, row.chat_pk, slots)
    _apply_earlier_edits(connection, members, slots, families, texts)
    own_family = families[row.alert_id]
    revised = tuple(slot.id for slot in slots if slot.alert_id in own_family)
    if not revised:
        return None
    for slot_id in revised:
        texts[slot_id] = row.text
    text = join_alerts([texts[slot.id] for slot in slots if slot.id in texts])
    if visible_length(text) > MAX_MESSAGE_UNITS:
        return None
    return EditPlan(message_id, text, revised)


def _shown_texts(connection: Connection, chat_pk: int, slots: Sequence[Any]) -> dict[int, str]:
    """Return the text each slot of the message shows, by delivery id; a notice folded into its
    result's alert shows none of its own and has no entry."""
    told = results_told(connection, [_with_chat(slot, chat_pk) for slot in slots])
    return {slot.id: slot.text for slot in slots if not folded_into_result(_with_chat(slot, chat_pk), told)}


def _apply_earlier_edits(
    connection: Connection, members: Sequence[Any], slots: Sequence[Any], families: dict[int, set[int]],
    texts: dict[int, str],
) -> None:
    """Put the texts of corrections that already edited the message in place of what they revised."""
    for edit in (m for m in members if m.message_parts == EDITED_ELSEWHERE):
        edit_family = _family(connection, families, edit.alert_id)
        for slot in slots:
            if slot.alert_id in edit_family:
                texts[slot.id] = edit.text


def _message_members(connection: Connection, chat_pk: int, message_id: int) -> Sequence[Any]:
    """Return the deliveries a sent message showed, and the edits made to it, in the order composed."""
    return connection.execute(
        select(_delivery.c.id, _delivery.c.alert_id, _delivery.c.message_parts, shown_text(),
               _alert.c.kind, _alert.c.filing_id)
        .join(_alert, _alert.c.id == _delivery.c.alert_id)
        .where(
            _delivery.c.chat_pk == chat_pk,
            _delivery.c.message_id == message_id,
            _delivery.c.status == DeliveryStatus.SENT,
        )
        .order_by(_delivery.c.priority, _delivery.c.id)  # the order the message was composed in
    ).all()


@dataclass(frozen=True)
class _Slot:
    chat_pk: int
    kind: str
    filing_id: int | None


def _with_chat(member: Any, chat_pk: int) -> _Slot:
    return _Slot(chat_pk, member.kind, member.filing_id)
