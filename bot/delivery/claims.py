"""The sender's side of the outbox: claim due deliveries as jobs.

Claiming marks rows 'sending' before any request goes out; recording (bot.delivery.outcomes) marks
them sent, pending again, failed or cancelled after. On PostgreSQL the claim takes row locks with
SKIP LOCKED, so several senders may drain one outbox; on SQLite one sender is expected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from bot.delivery.corrections import EditPlan, plan_corrections, shown_text
from bot.delivery.notices import folded_into_result, notices_after_their_result, results_told
from bot.delivery.outcomes import cancel_pending
from bot.delivery.quiet import hold_back
from bot.store.tables import Alert, Chat, ChatStatus, Delivery, DeliveryStatus

_delivery = Delivery.__table__
_alert = Alert.__table__
_chat = Chat.__table__

LEASE = timedelta(minutes=5)  # how long a claimed row stays another sender's, at most
CANDIDATE_ROUNDS = 4  # windows of due rows looked at per claim, each past the chats already seen


@dataclass(frozen=True)
class Job:
    """One chat's due alerts, sent as one message (split when too long) or as one edit."""

    chat_pk: int
    chat_id: int
    delivery_ids: tuple[int, ...]
    texts: tuple[str, ...]
    # per delivery: a filing notice folded into its result's alert, its text not repeated
    folded: tuple[bool, ...]
    attempts: int
    edit: EditPlan | None = None
    # per delivery: sent without a notification sound (a result under the chat's minimum surprise)
    silent: tuple[bool, ...] = ()

    def without(self, indexes: set[int]) -> Job:
        """Return the job minus the deliveries at these positions."""
        keep = [i for i in range(len(self.delivery_ids)) if i not in indexes]
        return replace(self, delivery_ids=tuple(self.delivery_ids[i] for i in keep),
                       texts=tuple(self.texts[i] for i in keep),
                       folded=tuple(self.folded[i] for i in keep),
                       silent=tuple(self.silent[i] for i in keep if i < len(self.silent)))

    def is_silent(self, positions: Sequence[int]) -> bool:
        """Whether a message carrying these positions goes without a sound: every alert it shows
        (a folded notice shows nothing of its own) asked for that."""
        shown = [i for i in positions if not self.folded[i]]
        return bool(shown) and all(i < len(self.silent) and self.silent[i] for i in shown)

    def as_new_message(self) -> Job:
        """Return the job as a plain send (the message it meant to edit is gone)."""
        return replace(self, edit=None)


@dataclass
class Claim:
    """What one claim found: jobs to run, and whether some chats had to wait for their limit."""

    jobs: list[Job] = field(default_factory=list)
    cooling_chats: list[int] = field(default_factory=list)


def claim_jobs(
    db: Engine,
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
    with db.begin() as connection:
        chosen, idle = _choose_chats(connection, now, limit, chat_ready, busy_chat_ids, claim)
        if idle:
            cancel_pending(connection, idle, "chat is no longer active")
        if not chosen:
            return claim
        due = _due_rows(connection, now, list(chosen))
        held_back = hold_back(connection, due, now)  # expired, or waiting out quiet hours
        rows = [row for row in due if row.id not in held_back]
        corrections = plan_corrections(connection, rows)
        held = corrections.deferred | corrections.superseded
        told = results_told(connection, rows)
        needless = notices_after_their_result(rows, told, skip=held)
        if needless:
            cancel_pending(connection, list(needless), "its result was already told")
        left_out = held | needless
        wanted = [row.id for row in rows if row.id not in left_out]
        claimed = _mark_sending(connection, wanted, now + lease)
    claim.jobs = _jobs(rows, claimed, corrections.plans, chosen, told)
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
            shown_text(), _alert.c.replaces_alert_id, _alert.c.kind, _alert.c.filing_id,
            _alert.c.expires_at, _alert.c.event_id, _alert.c.dedup_key, _delivery.c.silent,
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


def renew_leases(db: Engine, delivery_ids: Sequence[int], lease_end: datetime) -> None:
    """Extend the lease of rows still being sent here, so no other sender takes them back."""
    with db.begin() as connection:
        connection.execute(
            update(_delivery)
            .where(_delivery.c.id.in_(list(delivery_ids)), _delivery.c.status == DeliveryStatus.SENDING)
            .values(next_attempt_at=lease_end)
        )


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
            jobs.append(Job(row.chat_pk, chosen[row.chat_pk], (row.id,), (row.text,), (False,), row.attempts, plan,
                            silent=(bool(row.silent),)))
        else:
            by_chat[row.chat_pk].append(row)
    jobs.extend(_message_job(chat_pk, chosen[chat_pk], chat_rows, told) for chat_pk, chat_rows in by_chat.items())
    order = {chat_pk: index for index, chat_pk in enumerate(chosen)}
    jobs.sort(key=lambda job: (order[job.chat_pk], job.edit is not None))
    return jobs


def _message_job(chat_pk: int, chat_id: int, rows: list[Any], told: set[tuple[int, int]]) -> Job:
    """Return one chat's due alerts as one job, the notices whose result it tells folded in."""
    return Job(
        chat_pk,
        chat_id,
        tuple(row.id for row in rows),
        tuple(str(row.text) for row in rows),
        tuple(folded_into_result(row, told) for row in rows),
        # the freshest alert's count: an alert that joined late still gets every try
        min(row.attempts for row in rows),
        silent=tuple(bool(row.silent) for row in rows),
    )
