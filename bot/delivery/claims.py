"""The sender's side of the outbox: claim due deliveries as jobs, record what happened to them.

Claiming marks rows 'sending' before any request goes out; recording marks them sent, pending
again, failed or cancelled after. On PostgreSQL the claim takes row locks with SKIP LOCKED, so
several senders may drain one outbox; on SQLite one sender is expected.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, func, insert, or_, select, update

from bot.delivery.coalesce import join_alerts
from bot.delivery.outbox import chat_deactivation
from bot.delivery.split import MAX_MESSAGE_UNITS, visible_length
from bot.domain.market_time import as_utc, utc_now
from bot.store.tables import (
    Alert,
    AlertKind,
    Chat,
    ChatStatus,
    Company,
    Delivery,
    DeliveryStatus,
    Filing,
    FloodWait,
    Watch,
)

logger = logging.getLogger(__name__)

_delivery = Delivery.__table__
_alert = Alert.__table__
_chat = Chat.__table__
_watch = Watch.__table__
_company = Company.__table__
_filing = Filing.__table__

LEASE = timedelta(minutes=5)  # how long a claimed row stays another sender's, at most
INTERRUPTED_TWICE = "interrupted twice while sending: it may have been delivered, not retried again"
CANDIDATE_ROUNDS = 4  # windows of due rows looked at per claim, each past the chats already seen
EDITED_ELSEWHERE = 0  # message_parts of a delivery that edited an earlier message
# A result written up to a week before a results filing speaks of the same report (a calendar's
# actuals come first); an older one is the previous quarter's.
SAME_REPORT = timedelta(days=7)
_TOLD = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT)


@dataclass(frozen=True)
class EditPlan:
    """Edit an earlier message in place: its whole new text, and which deliveries it revises."""

    message_id: int
    text: str
    revised_delivery_ids: tuple[int, ...]


@dataclass(frozen=True)
class Job:
    """One chat's due alerts, sent as one message (split when too long) or as one edit."""

    chat_pk: int
    chat_id: int
    delivery_ids: tuple[int, ...]
    texts: tuple[str, ...]
    attempts: int
    edit: EditPlan | None = None

    def without(self, indexes: set[int]) -> Job:
        """Return the job minus the deliveries at these positions."""
        keep = [i for i in range(len(self.delivery_ids)) if i not in indexes]
        return replace(self, delivery_ids=tuple(self.delivery_ids[i] for i in keep),
                       texts=tuple(self.texts[i] for i in keep))

    def as_new_message(self) -> Job:
        """Return the job as a plain send (the message it meant to edit is gone)."""
        return replace(self, edit=None)


@dataclass
class Claim:
    """What one claim found: jobs to run, and whether some chats had to wait for their limit."""

    jobs: list[Job] = field(default_factory=list)
    cooling_chats: list[int] = field(default_factory=list)


# -- outcomes, recorded in batches --------------------------------------------------------------


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


def claim_jobs(
    engine: Engine,
    *,
    now: datetime,
    limit: int,
    chat_ready: Callable[[int], bool],
    busy_chat_ids: set[int],
    lease: timedelta = LEASE,
) -> Claim:
    """Mark up to `limit` chats' due deliveries 'sending' and return them as jobs, best first.

    A claimed row's next_attempt_at becomes the end of its lease: a sender sharing the outbox
    may take back rows whose lease ran out (their sender died), never rows still being sent.
    """
    claim = Claim()
    with engine.begin() as connection:
        chosen, idle = _choose_chats(connection, now, limit, chat_ready, busy_chat_ids, claim)
        if idle:
            _cancel(connection, idle, "chat is no longer active")
        if not chosen:
            return claim
        rows = _due_rows(connection, now, list(chosen))
        families: dict[int, set[int]] = {}
        plans: dict[int, EditPlan | None] = {}
        deferred: set[int] = set()
        superseded: set[int] = set()
        for row in rows:
            if row.replaces_alert_id is None:
                continue
            family = families.get(row.alert_id)
            if family is None:
                family = families[row.alert_id] = alert_family(connection, row.alert_id)
            superseded |= _cancel_superseded(connection, row, family)
            decision = _plan_edit(connection, row, family, families)
            if decision == "wait":
                deferred.add(row.id)
            else:
                plans[row.id] = decision
        told = results_told(connection, rows)
        needless = _notices_after_their_result(rows, told, skip=deferred | superseded)
        if needless:
            _cancel(connection, list(needless), "its result was already told")
        wanted = [row.id for row in rows if row.id not in deferred | superseded | needless]
        claimed = _mark_sending(connection, wanted, now + lease)
    claim.jobs = _jobs(rows, claimed, plans, chosen, told)
    return claim


def _choose_chats(
    connection: Connection, now: datetime, limit: int, chat_ready: Callable[[int], bool],
    busy_chat_ids: set[int], claim: Claim,
) -> tuple[dict[int, int], list[int]]:
    """Pick chats with due deliveries in priority order; skip chats still inside their limit.

    One chat may have many due rows (a group waiting out its 20 a minute): when a window of
    candidates holds too few chats, look past the chats already seen, so one never starves others.
    """
    chosen: dict[int, int] = {}
    idle: list[int] = []
    seen: set[int] = set()
    window = limit * 4
    for _ in range(CANDIDATE_ROUNDS):
        query = (
            select(_delivery.c.id, _delivery.c.chat_pk, _chat.c.chat_id, _chat.c.status)
            .join(_chat, _chat.c.id == _delivery.c.chat_pk)
            .where(_delivery.c.status == DeliveryStatus.PENDING, _delivery.c.next_attempt_at <= now)
            .order_by(_delivery.c.priority, _delivery.c.next_attempt_at)
            .limit(window)
            .with_for_update(of=_delivery, skip_locked=True)
        )
        if seen:
            query = query.where(_delivery.c.chat_pk.not_in(seen))
        candidates = connection.execute(query).all()
        for row in candidates:
            if row.status != ChatStatus.ACTIVE:
                idle.append(row.id)
            elif row.chat_pk in chosen or row.chat_pk in seen:
                continue
            elif row.chat_id in busy_chat_ids or not chat_ready(row.chat_id):
                claim.cooling_chats.append(row.chat_id)
            elif len(chosen) < limit:
                chosen[row.chat_pk] = row.chat_id
        seen |= {row.chat_pk for row in candidates}
        if len(candidates) < window or len(chosen) >= limit:
            break
    return chosen, idle


def _due_rows(connection: Connection, now: datetime, chat_pks: list[int]) -> Sequence[Any]:
    """Return every due delivery of these chats, so alerts due together go out together."""
    return connection.execute(
        select(
            _delivery.c.id, _delivery.c.chat_pk, _delivery.c.alert_id, _delivery.c.attempts,
            _alert.c.text, _alert.c.replaces_alert_id, _alert.c.kind, _alert.c.filing_id,
        )
        .join(_alert, _alert.c.id == _delivery.c.alert_id)
        .where(
            _delivery.c.chat_pk.in_(chat_pks),
            _delivery.c.status == DeliveryStatus.PENDING,
            _delivery.c.next_attempt_at <= now,
        )
        .order_by(_delivery.c.chat_pk, _delivery.c.priority, _delivery.c.id)
        .with_for_update(of=_delivery, skip_locked=True)
    ).all()


def _mark_sending(connection: Connection, delivery_ids: list[int], lease_end: datetime) -> set[int]:
    if not delivery_ids:
        return set()
    result = connection.execute(
        update(_delivery)
        .where(_delivery.c.id.in_(delivery_ids), _delivery.c.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SENDING, next_attempt_at=lease_end)
        .returning(_delivery.c.id)
    )
    return set(result.scalars())


def results_told(connection: Connection, rows: Sequence[Any]) -> set[tuple[int, int]]:
    """Return (chat_pk, filing_id) of the results notices among rows whose chat has been told, or is
    being told, the result they announce: a result of the same issuer (any share class), written no
    earlier than a week before the filing, waiting, on the wire or sent to that chat.

    Such a notice ("Figures follow as soon as they are read") must never come after the figures:
    it is folded into the result's message or dropped.
    """
    notices = [r for r in rows if r.kind == AlertKind.FILING and r.filing_id is not None]
    if not notices:
        return set()
    told_alert = _alert.alias("told")
    told_company = _company.alias("told_company")
    found = connection.execute(
        select(_delivery.c.chat_pk, _filing.c.id, _filing.c.accepted_at, told_alert.c.created_at)
        .select_from(
            _delivery.join(told_alert, told_alert.c.id == _delivery.c.alert_id)
            .outerjoin(told_company, told_company.c.id == told_alert.c.company_id)
            .join(_filing, or_(told_alert.c.filing_id == _filing.c.id, _filing.c.cik == told_company.c.cik,
                               _filing.c.company_id == told_company.c.id))
        )
        .where(
            _filing.c.id.in_({r.filing_id for r in notices}),
            _delivery.c.chat_pk.in_({r.chat_pk for r in notices}),
            told_alert.c.kind.in_((AlertKind.RESULT, AlertKind.CORRECTION)),
            _delivery.c.status.in_(_TOLD),
        )
    ).all()
    return {
        (chat_pk, filing_id) for chat_pk, filing_id, accepted_at, created_at in found
        if as_utc(created_at) >= as_utc(accepted_at) - SAME_REPORT
    }


def _notices_after_their_result(rows: Sequence[Any], told: set[tuple[int, int]], *, skip: set[int]) -> set[int]:
    """Return the notices whose result was told to their chat and goes out in no message with them."""
    results_now = {r.chat_pk for r in rows if r.id not in skip and r.kind in (AlertKind.RESULT, AlertKind.CORRECTION)
                   and r.replaces_alert_id is None}
    return {r.id for r in rows if (r.chat_pk, r.filing_id) in told and r.chat_pk not in results_now}


def _text_in_message(row: Any, told: set[tuple[int, int]]) -> str:
    """Return the row's text, or "" for a filing notice whose result its chat is told: it goes out
    folded into that message."""
    if row.kind == AlertKind.FILING and (row.chat_pk, row.filing_id) in told:
        return ""
    return str(row.text)


def _jobs(
    rows: Sequence[Any], claimed: set[int], plans: dict[int, EditPlan | None], chosen: dict[int, int],
    told: set[tuple[int, int]],
) -> list[Job]:
    by_chat: dict[int, list[Any]] = defaultdict(list)
    jobs: list[Job] = []
    for row in rows:
        if row.id not in claimed:
            continue
        plan = plans.get(row.id)
        if plan is not None:
            jobs.append(Job(row.chat_pk, chosen[row.chat_pk], (row.id,), (row.text,), row.attempts, plan))
        else:
            by_chat[row.chat_pk].append(row)
    for chat_pk, chat_rows in by_chat.items():
        jobs.append(
            Job(
                chat_pk,
                chosen[chat_pk],
                tuple(row.id for row in chat_rows),
                tuple(_text_in_message(row, told) for row in chat_rows),
                # the freshest alert's count: an alert that joined late still gets every try
                min(row.attempts for row in chat_rows),
            )
        )
    order = {chat_pk: index for index, chat_pk in enumerate(chosen)}
    jobs.sort(key=lambda job: (order[job.chat_pk], job.edit is not None))
    return jobs


# -- corrections --------------------------------------------------------------------------------


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
        _cancel(connection, list(ids), "superseded by a correction")
    return ids


def _plan_edit(
    connection: Connection, row: Any, family: set[int], families: dict[int, set[int]]
) -> EditPlan | None | str:
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
    members = connection.execute(
        select(_delivery.c.id, _delivery.c.alert_id, _delivery.c.message_parts, _alert.c.text,
               _alert.c.kind, _alert.c.filing_id)
        .join(_alert, _alert.c.id == _delivery.c.alert_id)
        .where(
            _delivery.c.chat_pk == row.chat_pk,
            _delivery.c.message_id == message_id,
            _delivery.c.status == DeliveryStatus.SENT,
        )
        .order_by(_delivery.c.priority, _delivery.c.id)  # the order the message was composed in
    ).all()
    slots = [m for m in members if m.message_parts != EDITED_ELSEWHERE]
    if not slots or any(m.message_parts > 1 for m in slots):
        return None  # the alert went out split over several messages: send the correction anew
    told = results_told(connection, [_with_chat(slot, row.chat_pk) for slot in slots])
    texts = {slot.id: _text_in_message(_with_chat(slot, row.chat_pk), told) for slot in slots}  # folded notices stay out
    for edit in (m for m in members if m.message_parts == EDITED_ELSEWHERE):
        edit_family = families.get(edit.alert_id)
        if edit_family is None:
            edit_family = families[edit.alert_id] = alert_family(connection, edit.alert_id)
        for slot in slots:
            if slot.alert_id in edit_family:
                texts[slot.id] = edit.text
    own_family = families[row.alert_id]
    revised = tuple(slot.id for slot in slots if slot.alert_id in own_family)
    if not revised:
        return None
    for slot_id in revised:
        texts[slot_id] = row.text
    text = join_alerts([texts[slot.id] for slot in slots if texts[slot.id]])
    if visible_length(text) > MAX_MESSAGE_UNITS:
        return None
    return EditPlan(message_id, text, revised)


@dataclass(frozen=True)
class _Slot:
    chat_pk: int
    kind: str
    filing_id: int | None
    text: str


def _with_chat(member: Any, chat_pk: int) -> _Slot:
    return _Slot(chat_pk, member.kind, member.filing_id, member.text)


# -- recording ----------------------------------------------------------------------------------


def record_outcomes(engine: Engine, outcomes: Iterable[Outcome]) -> None:
    """Write what happened to claimed deliveries, in one transaction."""
    sent = [o for o in outcomes if isinstance(o, Sent)]
    rest = [o for o in outcomes if not isinstance(o, Sent)]
    with engine.begin() as connection:
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
    elif isinstance(outcome, Retry):
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
    elif isinstance(outcome, Failed):
        connection.execute(
            update(_delivery).where(_delivery.c.id.in_(outcome.delivery_ids)).values(
                status=DeliveryStatus.FAILED, attempts=_delivery.c.attempts + 1,
                last_error=outcome.error[:500],
            )
        )
    elif isinstance(outcome, ChatGone):
        _deactivate(connection, outcome.chat_pk, outcome.reason)
    elif isinstance(outcome, FloodSeen):
        connection.execute(
            insert(FloodWait.__table__).values(
                occurred_at=outcome.at, retry_after=outcome.retry_after, method=outcome.method
            )
        )


def _deactivate(connection: Connection, chat_pk: int, reason: str) -> None:
    for statement in chat_deactivation(chat_pk, reason, utc_now()):
        connection.execute(statement)
    logger.info("chat deactivated chat_pk=%s reason=%s", chat_pk, reason)


def _cancel(connection: Connection, delivery_ids: list[int], reason: str) -> None:
    connection.execute(
        update(_delivery)
        .where(_delivery.c.id.in_(delivery_ids), _delivery.c.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, last_error=reason)
    )


# -- chat moves and crash recovery --------------------------------------------------------------


def migrate_chat(
    engine: Engine, chat_pk: int, new_chat_id: int, delivery_ids: Sequence[int], now: datetime
) -> None:
    """Give the chat its new (supergroup) id and queue these deliveries again for it.

    When the new id already has a row (the supergroup talked to us first), the old chat's
    watches and waiting deliveries move to it and the old row is retired.
    """
    with engine.begin() as connection:
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
    _deactivate(connection, old_pk, "group moved to a supergroup the bot already knew")
    logger.info("chat folded into its supergroup old_pk=%s new_pk=%s", old_pk, new_pk)


def recover_in_flight(engine: Engine, *, lease_ended_by: datetime | None = None) -> int:
    """Return 'sending' rows left by a dead process to the queue, each to be tried once more.

    With lease_ended_by, only rows whose lease ended by then (other senders may be alive).
    """
    in_flight = [_delivery.c.status == DeliveryStatus.SENDING]
    if lease_ended_by is not None:
        in_flight.append(_delivery.c.next_attempt_at <= lease_ended_by)
    with engine.begin() as connection:
        connection.execute(
            update(_delivery)
            .where(*in_flight, _delivery.c.in_doubt.is_(True))
            .values(status=DeliveryStatus.FAILED, last_error=INTERRUPTED_TWICE)
        )
        result = connection.execute(
            update(_delivery)
            .where(*in_flight)
            .values(status=DeliveryStatus.PENDING, in_doubt=True, next_attempt_at=lease_ended_by or utc_now())
        )
        return result.rowcount


def seconds_until_next_due(engine: Engine, now: datetime) -> float | None:
    """Return seconds until the earliest pending delivery that is not yet due, or None."""
    with engine.connect() as connection:
        earliest = connection.execute(
            select(func.min(_delivery.c.next_attempt_at)).where(
                and_(_delivery.c.status == DeliveryStatus.PENDING, _delivery.c.next_attempt_at > now)
            )
        ).scalar()
    if earliest is None:
        return None
    return max(0.0, (earliest - now).total_seconds())
