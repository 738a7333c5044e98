"""Dates people can trust: each source's word kept with its status; "confirmed" only when a source
says so; a date confirmed on the same day moves nothing; a confirmed date that moves is told once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import select

from bot.engine.date_changes import alert_date_changes
from bot.engine.releases import event_from_release
from bot.engine.sync import apply_calendar_rows
from bot.sources.calendar import CalendarRow
from bot.store.db import session_scope
from bot.store.tables import Alert, AlertKind, Delivery, EarningsEvent, EventDate
from tests.engine.helpers import NOW, OUTBOX, Clock, add_company, calendar_row, watching_chat

FEB_26, FEB_27 = date(2025, 2, 26), date(2025, 2, 27)
WEEK_BEFORE = NOW - timedelta(days=7)


def store(db: Engine, clock: Clock, *rows: CalendarRow) -> int:
    """One poll's rows stored at the clock's time; return the date-change alerts written."""
    with session_scope(db) as session:
        report = apply_calendar_rows(session, list(rows), now=clock(), precedence=("nasdaq", "finnhub"))
        return alert_date_changes(session, report.date_changes, outbox=OUTBOX, now=clock())


def setup(db: Engine) -> None:
    with session_scope(db) as session:
        add_company(session)
        watching_chat(session, 5_000_000_001, "NVDA")


def the_event(db: Engine) -> EarningsEvent:
    with session_scope(db) as session:
        return session.exec(select(EarningsEvent)).one()


def date_alerts(db: Engine) -> list[str]:
    with session_scope(db) as session:
        return [a.text for a in session.exec(select(Alert).where(Alert.kind == AlertKind.DATE_CHANGE)).all()]


def words(db: Engine) -> dict[str, tuple[date, str, str]]:
    with session_scope(db) as session:
        return {d.source: (d.report_date, d.date_status, d.as_of.isoformat()[:16])
                for d in session.exec(select(EventDate)).all()}


def confirmed(row: CalendarRow) -> CalendarRow:
    return replace(row, confirmed=True)


def test_calendar_rows_are_estimates_and_each_source_keeps_its_word_with_its_time(db: Engine) -> None:
    setup(db)
    clock = Clock(WEEK_BEFORE)
    store(db, clock, calendar_row(day=FEB_26))
    clock.now += timedelta(hours=3)
    store(db, clock, calendar_row(day=FEB_26), calendar_row(day=FEB_27, source="finnhub"))
    assert the_event(db).date_status == "estimated"
    assert words(db) == {  # Nasdaq's word is as of when it was first said, not when repeated
        "nasdaq": (FEB_26, "estimated", WEEK_BEFORE.isoformat()[:16]),
        "finnhub": (FEB_27, "estimated", clock.now.isoformat()[:16]),
    }


def test_an_estimated_date_confirmed_on_the_same_day_is_no_date_change(db: Engine) -> None:
    setup(db)
    clock = Clock(WEEK_BEFORE)
    store(db, clock, calendar_row(day=FEB_26))
    clock.now += timedelta(days=1)
    assert store(db, clock, confirmed(calendar_row(day=FEB_26))) == 0
    event = the_event(db)
    assert (event.report_date, event.date_status) == (FEB_26, "confirmed")
    assert words(db)["nasdaq"][1] == "confirmed"
    assert date_alerts(db) == []
    clock.now += timedelta(hours=1)  # a less trusted vendor's confirmation of the same day: nothing either
    assert store(db, clock, confirmed(calendar_row(day=FEB_26, source="finnhub"))) == 0
    assert date_alerts(db) == []


def test_a_confirmed_date_that_moves_is_told_once(db: Engine) -> None:
    setup(db)
    clock = Clock(WEEK_BEFORE)
    store(db, clock, confirmed(calendar_row(day=FEB_26)))
    clock.now += timedelta(hours=2)
    assert store(db, clock, confirmed(calendar_row(day=FEB_27))) == 1
    for _ in range(3):  # every later poll repeats it
        clock.now += timedelta(hours=2)
        assert store(db, clock, confirmed(calendar_row(day=FEB_27))) == 0
    [text] = date_alerts(db)
    assert "now expected <b>Thu Feb 27, 2025, after the close</b>" in text
    with session_scope(db) as session:
        assert len(session.exec(select(Delivery)).all()) == 1
    assert the_event(db).date_status == "confirmed"


def test_a_confirmed_date_outranks_an_estimate_and_an_estimate_does_not_move_it(db: Engine) -> None:
    setup(db)
    clock = Clock(WEEK_BEFORE)
    store(db, clock, calendar_row(day=FEB_26))  # Nasdaq's estimate
    clock.now += timedelta(hours=1)
    assert store(db, clock, confirmed(calendar_row(day=FEB_27, source="finnhub"))) == 1
    assert (the_event(db).report_date, the_event(db).date_status) == (FEB_27, "confirmed")
    clock.now += timedelta(hours=1)
    assert store(db, clock, calendar_row(day=FEB_26)) == 0  # the more trusted vendor's mere estimate
    assert (the_event(db).report_date, the_event(db).date_status) == (FEB_27, "confirmed")
    assert len(date_alerts(db)) == 1


def test_a_confirmation_withdrawn_shows_the_date_as_estimated_again(db: Engine) -> None:
    setup(db)
    clock = Clock(WEEK_BEFORE)
    store(db, clock, confirmed(calendar_row(day=FEB_26)))
    clock.now += timedelta(hours=1)
    store(db, clock, calendar_row(day=FEB_26))
    assert the_event(db).date_status == "estimated"
    assert date_alerts(db) == []


def test_a_date_from_the_company_s_own_filing_is_confirmed(db: Engine) -> None:
    accepted = datetime(2025, 2, 26, 21, 20, tzinfo=UTC)  # 16:20 in New York
    with session_scope(db) as session:
        company = add_company(session)
        event = event_from_release(session, company, accepted, period_end=date(2025, 1, 26), now=accepted)
        assert event.date_status == "confirmed"
    with session_scope(db) as session:
        [word] = session.exec(select(EventDate)).all()
        assert (word.source, word.report_date, word.date_status, word.timing) == ("sec", FEB_26, "confirmed", "amc")
        assert word.report_time is not None and word.report_time.replace(tzinfo=UTC) == accepted
