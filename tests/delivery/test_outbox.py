"""The outbox in the database: who an alert is addressed to, dedup, corrections, chat state, stats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, insert, select, update
from sqlmodel import Session

from bot.delivery.outbox import (
    chat_deactivation,
    enqueue_alert,
    enqueue_broadcast,
    enqueue_correction,
)
from bot.engine.subscriptions import reactivate_chat
from bot.store.db import session_scope
from bot.store.stats import delivery_stats
from bot.store.tables import Alert, AlertKind, ChatStatus, Delivery, DeliveryStatus, FloodWait
from tests.delivery.helpers import add_chats, add_company, alert, chat, deliveries

NOW = datetime(2025, 2, 26, 21, 5, tzinfo=UTC)


def test_an_alert_reaches_every_active_chat_watching_the_company_and_no_one_else(db: Engine) -> None:
    nvda, msft = add_company(db, "NVDA"), add_company(db, "MSFT")
    watchers = add_chats(db, [1, 2, -100], company_id=nvda)
    add_chats(db, [3], company_id=nvda, status=ChatStatus.BLOCKED)
    add_chats(db, [4], company_id=nvda, status=ChatStatus.STOPPED)
    add_chats(db, [5], company_id=msft)

    alert_id = alert(db, "result:1:a", "<b>NVDA</b> beat", company_id=nvda, now=NOW)

    rows = deliveries(db, alert_id)
    assert sorted(r.chat_pk for r in rows) == sorted(watchers.values())
    assert {r.status for r in rows} == {DeliveryStatus.PENDING}
    assert {r.priority for r in rows} == {0}
    assert {r.next_attempt_at for r in rows} == {NOW}


def test_a_repeated_dedup_key_writes_nothing(db: Engine) -> None:
    nvda = add_company(db)
    add_chats(db, [1, 2], company_id=nvda)
    alert(db, "result:1:a", "first", company_id=nvda)

    with session_scope(db) as session:
        again = enqueue_alert(session, kind=AlertKind.RESULT, dedup_key="result:1:a", text="second",
                              company_id=nvda, now=NOW)

    assert again is None
    with Session(db) as session:
        assert session.exec(select(func.count()).select_from(Alert)).one()[0] == 1
    assert len(deliveries(db)) == 2


def test_alert_and_deliveries_are_one_transaction_with_the_caller(db: Engine) -> None:
    nvda = add_company(db)
    add_chats(db, [1, 2], company_id=nvda)
    with Session(db) as session:
        created = enqueue_alert(session, kind=AlertKind.RESULT, dedup_key="k", text="t",
                                company_id=nvda, now=NOW)
        assert created is not None
        session.rollback()
    with Session(db) as session:
        assert session.exec(select(func.count()).select_from(Alert)).one()[0] == 0
    assert deliveries(db) == []


def test_explicit_chats_get_the_alert_only_while_active(db: Engine) -> None:
    active = add_chats(db, [10, 11, 12])
    blocked = add_chats(db, [13], status=ChatStatus.BLOCKED)

    alert_id = alert(db, "reminder:1", "Tomorrow: NVDA", kind=AlertKind.REMINDER,
                     chat_pks=[active[10], active[12], blocked[13], active[12]])

    rows = deliveries(db, alert_id)
    assert sorted(r.chat_pk for r in rows) == sorted([active[10], active[12]])
    assert {r.priority for r in rows} == {4}


def test_a_broadcast_reaches_every_active_chat(db: Engine) -> None:
    active = add_chats(db, [1, 2, 3, -200])
    add_chats(db, [4], status=ChatStatus.BLOCKED)
    add_chats(db, [5], status=ChatStatus.STOPPED)

    with session_scope(db) as session:
        created = enqueue_broadcast(session, text="Maintenance tonight", now=NOW, admin_chat_id=1)
        alert_id = created.id

    assert sorted(r.chat_pk for r in deliveries(db, alert_id)) == sorted(active.values())


def test_a_correction_supersedes_waiting_deliveries_and_addresses_every_reader(db: Engine) -> None:
    nvda = add_company(db)
    pks = add_chats(db, [1, 2, 3, 4], company_id=nvda)
    original = alert(db, "result:1:a", "EPS $0.89", company_id=nvda, now=NOW)
    states = {1: DeliveryStatus.SENT, 2: DeliveryStatus.PENDING, 3: DeliveryStatus.FAILED,
              4: DeliveryStatus.CANCELLED}
    with session_scope(db) as session:
        for chat_id, status in states.items():
            session.exec(update(Delivery).where(Delivery.chat_pk == pks[chat_id]).values(status=status))

    with session_scope(db) as session:
        correction = enqueue_correction(session, original_dedup_key="result:1:a",
                                        dedup_key="result:1:b", text="EPS $0.91", now=NOW)
        assert correction is not None
        correction_id = correction.id

    revised = deliveries(db, correction_id)
    assert sorted(r.chat_pk for r in revised) == [pks[1], pks[2]]
    old = {r.chat_pk: r for r in deliveries(db, original)}
    assert old[pks[2]].status == DeliveryStatus.CANCELLED
    assert old[pks[2]].last_error == "superseded by result:1:b"
    assert old[pks[1]].status == DeliveryStatus.SENT
    with session_scope(db) as session:
        again = enqueue_correction(session, original_dedup_key="result:1:a", dedup_key="result:1:b",
                                   text="EPS $0.91", now=NOW)
        unknown = enqueue_correction(session, original_dedup_key="nope", dedup_key="x", text="t", now=NOW)
    assert again is None and unknown is None


def test_a_blocked_chat_loses_its_waiting_deliveries_and_start_reactivates_it(db: Engine) -> None:
    pks = add_chats(db, [1, 2])
    first = alert(db, "a", "one", chat_pks=list(pks.values()))
    alert(db, "b", "two", chat_pks=list(pks.values()))

    with session_scope(db) as session:
        for statement in chat_deactivation(pks[1], "Forbidden: bot was blocked by the user", NOW):
            session.exec(statement)

    assert chat(db, pks[1]).status == ChatStatus.BLOCKED
    mine = [r for r in deliveries(db) if r.chat_pk == pks[1]]
    assert {r.status for r in mine} == {DeliveryStatus.CANCELLED}
    assert {r.last_error for r in mine} == {"Forbidden: bot was blocked by the user"}
    assert {r.status for r in deliveries(db) if r.chat_pk == pks[2]} == {DeliveryStatus.PENDING}

    with session_scope(db) as session:
        reactivate_chat(session, pks[1], now=NOW)
    assert chat(db, pks[1]).status == ChatStatus.ACTIVE
    assert {r.status for r in deliveries(db, first) if r.chat_pk == pks[1]} == {DeliveryStatus.CANCELLED}


def test_stats_count_chats_deliveries_and_recent_flood_waits(db: Engine) -> None:
    pks = add_chats(db, [1, 2, 3])
    add_chats(db, [4], status=ChatStatus.BLOCKED)
    add_chats(db, [5], status=ChatStatus.STOPPED)
    alert_id = alert(db, "a", "one", chat_pks=list(pks.values()))
    with session_scope(db) as session:
        session.exec(update(Delivery).where(Delivery.chat_pk == pks[1]).values(
            status=DeliveryStatus.SENT, message_id=7, edited_at=NOW))
        session.exec(update(Delivery).where(Delivery.chat_pk == pks[2]).values(status=DeliveryStatus.FAILED))
        session.exec(insert(FloodWait), params=[
            {"occurred_at": NOW - timedelta(minutes=5), "retry_after": 3, "method": "sendMessage"},
            {"occurred_at": NOW - timedelta(minutes=30), "retry_after": 1, "method": "sendMessage"},
            {"occurred_at": NOW - timedelta(hours=2), "retry_after": 1, "method": "sendMessage"},
        ])

    with Session(db) as session:
        stats = delivery_stats(session, NOW)

    assert (stats.chats_total, stats.chats_active, stats.chats_blocked, stats.chats_stopped) == (5, 3, 1, 1)
    assert stats.deliveries == {"pending": 1, "sending": 0, "sent": 1, "failed": 1, "cancelled": 0}
    assert stats.edited == 1
    assert stats.flood_waits_last_hour == 2
    assert stats.last_flood_wait_at == NOW - timedelta(minutes=5)
    assert alert_id
