"""Estimate revisions: every consensus change kept with its time; a move over 2% (and over a cent for
EPS) in the 30 days before a watched report is told once a day per metric, to chats that opted in."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from bot.engine.poll import CalendarPoller
from bot.engine.preferences import set_revisions
from bot.sources.calendar import CalendarRow
from bot.store.db import ThreadedTransactions, session_scope
from bot.store.tables import Alert, AlertKind, Chat, Delivery, ExpectationRow
from tests.engine.helpers import (
    NOW,
    OUTBOX,
    Clock,
    add_company,
    calendar_row,
    eps,
    revenue,
    watching_chat,
)

FEB_26 = date(2025, 2, 26)  # NOW is Feb 26, 14:00 UTC: the report is due today
OPTED_IN, NOT_OPTED_IN = 5_000_000_001, -1_001_234_567_890


def setup(db: Engine) -> None:
    with session_scope(db) as session:
        add_company(session)
        watching_chat(session, OPTED_IN, "NVDA")
        watching_chat(session, NOT_OPTED_IN, "NVDA")
        set_revisions(session, OPTED_IN, True, now=NOW)


def row(*estimates: str, day: date = FEB_26, count: int | None = 18, source: str = "nasdaq",
        sales: str | None = None) -> CalendarRow:
    figures = tuple(eps(value) for value in estimates) + ((revenue(sales),) if sales else ())
    return calendar_row(day=day, estimates=figures, count=count, source=source)


def store(db: Engine, clock: Clock, *rows: CalendarRow) -> int:
    """The poller's storing step at the clock's time (the rows as the sources gave them)."""
    transactions = ThreadedTransactions(db)
    poller = CalendarPoller(transactions, [], outbox=OUTBOX, clock=clock)
    alerts, _report = transactions.run_now(poller.store, list(rows))
    return alerts


def revision_texts(db: Engine) -> list[str]:
    with session_scope(db) as session:
        alerts = session.exec(select(Alert).where(Alert.kind == AlertKind.REVISION).order_by(col(Alert.id))).all()
        return [a.text for a in alerts]


def recipients(db: Engine) -> list[int]:
    with session_scope(db) as session:
        return sorted(session.exec(
            select(Chat.chat_id).join(Delivery, col(Delivery.chat_pk) == col(Chat.id))
            .join(Alert, col(Alert.id) == col(Delivery.alert_id)).where(Alert.kind == AlertKind.REVISION)
        ).all())


def test_a_cut_over_two_percent_is_told_to_the_chats_that_opted_in_only(db: Engine) -> None:
    setup(db)
    clock = Clock(NOW - timedelta(days=3))
    assert store(db, clock, row("0.84")) == 0  # the first value is no revision
    clock.now += timedelta(hours=6)
    assert store(db, clock, row("0.82")) == 1
    [text] = revision_texts(db)
    assert text.startswith("📉 <b>NVDA</b> Q4 FY2025 consensus EPS cut to <b>$0.82</b> from $0.84 (Nasdaq, 18 est.)")
    assert recipients(db) == [OPTED_IN]
    with session_scope(db) as session:  # every value kept, each with its time
        kept = session.exec(select(ExpectationRow).order_by(col(ExpectationRow.as_of))).all()
        assert [(str(r.value), r.as_of.hour) for r in kept] == [("0.84", 14), ("0.82", 20)]


def test_a_rise_says_raised_and_revenue_counts_too(db: Engine) -> None:
    setup(db)
    clock = Clock(NOW - timedelta(days=3))
    store(db, clock, row("0.84", sales="37720000000", source="finnhub", count=None))
    clock.now += timedelta(hours=1)
    assert store(db, clock, row("0.84", sales="38500000000", source="finnhub", count=None)) == 1  # +2.07%
    [text] = revision_texts(db)
    assert "📈 <b>NVDA</b> Q4 FY2025 consensus revenue raised to <b>$38.50B</b> from $37.72B (Finnhub)" in text


def test_two_percent_or_one_cent_whichever_is_larger(db: Engine) -> None:
    setup(db)
    clock = Clock(NOW - timedelta(days=10))
    store(db, clock, row("0.84"))
    for value, told in (("0.85", 0),  # one cent: under 2% of $0.84 ($0.0168)
                        ("0.87", 1),  # two cents: over 2%
                        ):
        clock.now += timedelta(days=1)
        assert store(db, clock, row(value)) == told, value
    clock.now += timedelta(days=1)
    store(db, clock, row("0.10"))  # a small EPS: 2% is a fifth of a cent, so a cent is the bar
    clock.now += timedelta(days=1)
    assert store(db, clock, row("0.11")) == 0  # exactly a cent is not more than a cent
    clock.now += timedelta(days=1)
    assert store(db, clock, row("0.12")) == 0  # a cent again, though 9% of it
    clock.now += timedelta(days=1)
    assert store(db, clock, row("0.14")) == 1  # two cents
    clock.now += timedelta(days=1)
    store(db, clock, row("0.14", sales="37720000000"))
    clock.now += timedelta(days=1)
    assert store(db, clock, row("0.14", sales="38400000000")) == 0  # revenue +1.8%
    assert len(revision_texts(db)) == 3  # to 0.87, to 0.10 and to 0.14


def test_nothing_outside_the_thirty_days_before_the_report(db: Engine) -> None:
    setup(db)
    far = FEB_26 + timedelta(days=45)
    clock = Clock(NOW)
    store(db, clock, row("0.84", day=far))
    clock.now += timedelta(days=1)
    assert store(db, clock, row("0.70", day=far)) == 0  # 44 days before the report
    clock.now += timedelta(days=14)
    assert store(db, clock, row("0.60", day=far)) == 1  # 30 days before: in
    assert revision_texts(db)[0].startswith("📉 <b>NVDA</b> Q4 FY2025 consensus EPS cut to <b>$0.60</b> from $0.70")


def test_twice_in_a_day_is_told_once_and_the_next_day_again(db: Engine) -> None:
    setup(db)
    clock = Clock(NOW - timedelta(days=5, hours=4))  # Feb 21, 10:00 UTC (05:00 in New York)
    store(db, clock, row("0.84"))
    clock.now += timedelta(hours=1)
    assert store(db, clock, row("0.80")) == 1
    clock.now += timedelta(hours=6)
    assert store(db, clock, row("0.76")) == 0  # the same New York day, whichever source moves
    assert store(db, clock, row("0.70", source="finnhub", count=None)) == 0
    clock.now += timedelta(days=1)
    assert store(db, clock, row("0.72")) == 1
    assert len(revision_texts(db)) == 2


def test_no_chat_opted_in_means_no_alert(db: Engine) -> None:
    setup(db)
    with session_scope(db) as session:
        set_revisions(session, OPTED_IN, False, now=NOW)
    clock = Clock(NOW - timedelta(days=3))
    store(db, clock, row("0.84"))
    clock.now += timedelta(hours=1)
    assert store(db, clock, row("0.70")) == 0
    assert revision_texts(db) == []
