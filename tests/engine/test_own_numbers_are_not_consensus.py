"""A chat's own number (an expectation of source chat:<pk>) is never consensus: every reader of
consensus leaves it out, each checked here with an own number that would change its answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.domain.market_time import new_york_date
from bot.engine.calendar_view import next_report, upcoming
from bot.engine.evaluate import evaluate_event
from bot.engine.own_numbers import set_own_number
from bot.engine.preferences import set_revisions
from bot.engine.reminders import due_reminders
from bot.engine.revisions import alert_revisions
from bot.engine.sync import apply_calendar_rows
from bot.kpis import load_kpis
from bot.store.figures import (
    latest_expectations,
    own_expectations,
    record_expectation,
    record_reported,
)
from bot.store.tables import Alert, AlertKind, EarningsEvent, EventState, saved_id
from tests.engine.helpers import NOW, OUTBOX, add_company, calendar_row, eps, revenue, watching_chat

ALICE, BOB = 5_000_000_001, 5_000_000_002


def with_own_numbers(session: Session, *, vendor: bool = True) -> EarningsEvent:
    """NVDA reports today after the close; Alice set EPS 1.50 and revenue 50B of her own."""
    add_company(session)
    watching_chat(session, ALICE, "NVDA")
    watching_chat(session, BOB, "NVDA")
    set_revisions(session, ALICE, True, now=NOW)
    estimates = (eps("0.84"), revenue("37720000000")) if vendor else ()
    apply_calendar_rows(session, [calendar_row(estimates=estimates)], now=NOW - timedelta(days=2))
    for metric, value in (("eps", "1.50"), ("revenue", "50B")):
        stored = set_own_number(session, ALICE, "NVDA", metric, value, kpis_of=load_kpis().for_company,
                                now=NOW - timedelta(days=1))
        assert stored.value is not None
    session.commit()
    return session.exec(select(EarningsEvent)).one()


def test_latest_expectations_is_consensus_only(db: Engine) -> None:
    with Session(db) as session:
        event = with_own_numbers(session)
        for rows in (latest_expectations(session, saved_id(event)),
                     latest_expectations(session, saved_id(event), until=NOW)):
            assert sorted((r.metric, r.source) for r in rows) == [("eps", "nasdaq"), ("revenue", "nasdaq")]
        assert sorted(r.metric for r in own_expectations(session, saved_id(event))) == ["eps", "revenue"]


def test_evaluate_judges_the_headline_by_consensus_alone(db: Engine) -> None:
    with Session(db) as session:
        event = with_own_numbers(session)
        record_reported(session, event, eps("0.89"), source="sec", reported_at=NOW + timedelta(hours=7))
        evaluation = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=7))
        assert evaluation.report is not None and evaluation.alert is not None
        assert [(c.expectation.source, c.verdict) for c in evaluation.report.headline] == [("nasdaq", "beat")]
        assert evaluation.alert.text.startswith("🟢 <b>NVDA beat")  # Alice's 1.50 would make it a miss


def test_without_consensus_an_own_number_gives_no_headline_verdict(db: Engine) -> None:
    with Session(db) as session:
        event = with_own_numbers(session, vendor=False)
        record_reported(session, event, eps("0.89"), source="sec", reported_at=NOW + timedelta(hours=7))
        evaluation = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=7))
        assert evaluation.report is not None and evaluation.report.headline == []
        assert evaluation.alert is not None and "No consensus stored" in evaluation.alert.text


def test_upcoming_and_next_show_consensus_only(db: Engine) -> None:
    with Session(db) as session:
        with_own_numbers(session, vendor=False)
        [report] = upcoming(session, ALICE, now=NOW, days=7).reports
        assert report.consensus == ()
        found = next_report(session, ALICE, "NVDA", now=NOW)
        assert found.report is not None and found.report.consensus == ()


def test_the_reader_of_revisions_compares_a_vendor_with_itself(db: Engine) -> None:
    with Session(db) as session:
        with_own_numbers(session)
        # a newer own number moves nothing; the vendor's unchanged value is no revision
        set_own_number(session, ALICE, "NVDA", "eps", "0.50", kpis_of=load_kpis().for_company, now=NOW)
        same = apply_calendar_rows(session, [calendar_row(estimates=(eps("0.84"),))], now=NOW)
        assert same.consensus_changes == []
        moved = apply_calendar_rows(session, [calendar_row(estimates=(eps("0.80"),))], now=NOW)
        [change] = moved.consensus_changes
        assert (change.old_value, change.source) == (Decimal("0.84"), "nasdaq")
        assert alert_revisions(session, moved.consensus_changes, outbox=OUTBOX, now=NOW) == 1
        [alert] = session.exec(select(Alert).where(Alert.kind == AlertKind.REVISION)).all()
        assert "cut to <b>$0.80</b> from $0.84 (Nasdaq" in alert.text


def test_the_bar_rules_let_a_vendor_first_seen_after_the_report_count_beside_own_numbers(db: Engine) -> None:
    with Session(db) as session:
        event = with_own_numbers(session, vendor=False)
        event.state, event.reported_at = EventState.REPORTED, NOW
        session.add(event)
        # Alice's number is no earlier value of finnhub's: finnhub's first value still counts
        assert record_expectation(session, event, eps("0.85"), source="finnhub", as_of=NOW + timedelta(minutes=20))
        rows = latest_expectations(session, saved_id(event), until=NOW)
        assert [(r.source, r.value) for r in rows] == [("finnhub", Decimal("0.85"))]


def test_reminders_tell_the_consensus_not_the_chats_own_number(db: Engine) -> None:
    with Session(db) as session:
        with_own_numbers(session)
        morning = datetime.combine(new_york_date(NOW), datetime.min.time(), ZoneInfo("America/New_York"))
        due_reminders(session, morning + timedelta(hours=8, seconds=30), OUTBOX)  # Today, 08:00 ET
        session.commit()
        texts = [a.text for a in session.exec(select(Alert).where(Alert.kind == AlertKind.REMINDER)).all()]
    assert texts and all("$0.84" in text for text in texts), texts
    assert not any("1.50" in text or "50.00B" in text for text in texts)
