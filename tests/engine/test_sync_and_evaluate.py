"""Calendar rows become events and expectation snapshots; reported figures become one alert."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.domain.figures import Basis
from bot.engine.evaluate import evaluate_event
from bot.engine.sync import apply_calendar_rows
from bot.store.figures import record_reported
from bot.store.tables import (
    Alert,
    Delivery,
    EarningsEvent,
    EventState,
    ExpectationRow,
    ReportedFigure,
)
from tests.engine.helpers import NOW, OUTBOX, add_company, calendar_row, eps, revenue, watching_chat


def test_rows_from_two_vendors_land_on_one_event_with_its_fiscal_label(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        nasdaq = calendar_row(estimates=(eps("0.84"),), count=14)
        finnhub = calendar_row(source="finnhub", period=None, fiscal=(2025, 4), count=None,
                               estimates=(eps("0.8512"), revenue("38050000000")))
        report = apply_calendar_rows(session, [nasdaq, finnhub], now=NOW)
        session.commit()
        events = session.exec(select(EarningsEvent)).all()
        assert len(events) == 1
        assert events[0].period_label == "Q4 FY2025"
        assert events[0].fiscal_period == "2025-01"
        assert events[0].timing == "amc"
        assert report.expectations_stored == 3


def test_fiscal_year_end_is_learned_from_period_month_and_quarter(db: Engine) -> None:
    with Session(db) as session:
        company = add_company(session, "MSFT", "MICROSOFT CORP", 789019, fiscal_year_end_month=None)
        row = calendar_row("MSFT", day=date(2025, 1, 29), period=(2024, 12), fiscal=(2025, 2))
        apply_calendar_rows(session, [row], now=NOW)
        session.commit()
        assert company.fiscal_year_end_month == 6
        event = session.exec(select(EarningsEvent)).one()
        assert event.period_label == "Q2 FY2025"


def test_an_unchanged_estimate_is_not_stored_twice_and_a_changed_one_keeps_history(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        apply_calendar_rows(session, [calendar_row(estimates=(eps("0.84"),))], now=NOW)
        apply_calendar_rows(session, [calendar_row(estimates=(eps("0.84"),))], now=NOW + timedelta(minutes=5))
        apply_calendar_rows(session, [calendar_row(estimates=(eps("0.85"),))], now=NOW + timedelta(hours=1))
        session.commit()
        values = [r.value for r in session.exec(select(ExpectationRow).order_by(ExpectationRow.id)).all()]
        assert values == [Decimal("0.84"), Decimal("0.85")]


def test_a_moved_report_date_is_reported_as_a_date_change(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        apply_calendar_rows(session, [calendar_row(day=date(2025, 2, 26))], now=NOW)
        report = apply_calendar_rows(session, [calendar_row(day=date(2025, 2, 27))], now=NOW)
        assert [(c.old_date, c.new_date) for c in report.date_changes] == [(date(2025, 2, 26), date(2025, 2, 27))]


def test_reported_figures_make_one_beat_alert_for_every_watcher(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 5_000_000_001, "NVDA")
        watching_chat(session, -1_001_234_567_890, "NVDA")
        apply_calendar_rows(session, [calendar_row(estimates=(eps("0.84"), revenue("37720000000")))], now=NOW)
        actuals = calendar_row(source="finnhub", actuals=(eps("0.89"), revenue("39331000000")))
        report = apply_calendar_rows(session, [actuals], now=NOW + timedelta(hours=3))
        event = session.exec(select(EarningsEvent)).one()
        assert report.reported_events == {event.id}
        evaluation = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=3))
        session.commit()
        assert evaluation.alert is not None
        text = evaluation.alert.text
        assert "<b>NVDA beat: Q4 FY2025</b>" in text
        assert "EPS $0.89 vs $0.84 est. (+6.0%)" in text
        assert "Revenue $39.33B vs $37.72B est. (+4.3%)" in text
        assert "adjusted, nasdaq (14 est.)" in text.lower()
        assert event.state == EventState.REPORTED
        assert len(session.exec(select(Delivery)).all()) == 2
        again = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=4))
        assert again.alert is None
        assert len(session.exec(select(Alert)).all()) == 1


def test_gaap_eps_against_adjusted_consensus_is_not_comparable_never_a_beat(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        apply_calendar_rows(session, [calendar_row(estimates=(eps("0.84"),))], now=NOW)
        event = session.exec(select(EarningsEvent)).one()
        record_reported(session, event, eps("2.39", Basis.GAAP), source="sec", reported_at=NOW)
        evaluation = evaluate_event(session, event, outbox=OUTBOX, now=NOW)
        assert evaluation.alert is not None
        assert "NVDA reported: Q4 FY2025" in evaluation.alert.text
        assert "not comparable" in evaluation.alert.text
        assert "beat" not in evaluation.alert.text


def test_expectations_after_the_report_do_not_move_the_bar(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        apply_calendar_rows(session, [calendar_row(estimates=(eps("0.84"),))], now=NOW)
        apply_calendar_rows(session, [calendar_row(source="finnhub", actuals=(eps("0.89"),))], now=NOW)
        event = session.exec(select(EarningsEvent)).one()
        evaluate_event(session, event, outbox=OUTBOX, now=NOW)
        stored = apply_calendar_rows(session, [calendar_row(estimates=(eps("0.95"),))], now=NOW + timedelta(days=1))
        assert stored.expectations_stored == 0
        frozen = session.exec(select(ExpectationRow)).all()
        assert [r.value for r in frozen] == [Decimal("0.84")]
        assert frozen[0].frozen_at is not None


def test_a_revised_figure_becomes_a_correction_not_a_second_alert(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        apply_calendar_rows(session, [calendar_row(estimates=(eps("0.84"), revenue("37720000000")))], now=NOW)
        event = session.exec(select(EarningsEvent)).one()
        record_reported(session, event, eps("0.89"), source="finnhub", reported_at=NOW)
        first = evaluate_event(session, event, outbox=OUTBOX, now=NOW)
        record_reported(session, event, revenue("39331000000"), source="sec", reported_at=NOW)
        second = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(minutes=1))
        session.commit()
        assert first.alert is not None and second.alert is not None
        assert second.is_correction
        assert "(updated)" in second.alert.text
        assert "Revenue $39.33B" in second.alert.text
        row = session.exec(select(ReportedFigure).where(ReportedFigure.metric == "eps")).one()
        assert row.revision == 1


def test_html_in_company_names_is_escaped(db: Engine) -> None:
    with Session(db) as session:
        add_company(session, "ABC", "A<b>&C Corp", 1, fiscal_year_end_month=12)
        watching_chat(session, 42, "ABC")
        apply_calendar_rows(session, [calendar_row("ABC", period=(2024, 12), estimates=(eps("1.00"),))], now=NOW)
        apply_calendar_rows(session, [calendar_row("ABC", period=(2024, 12), source="finnhub",
                                                   actuals=(eps("1.10"),))], now=NOW)
        event = session.exec(select(EarningsEvent)).one()
        evaluation = evaluate_event(session, event, outbox=OUTBOX, now=NOW)
        assert evaluation.alert is not None
        assert "A&lt;b&gt;&amp;C Corp" in evaluation.alert.text
        assert "A<b>&C" not in evaluation.alert.text


def _texts(session: Session) -> list[str]:
    return [a.text for a in session.exec(select(Alert).order_by(Alert.id)).all()]


def test_figures_that_go_back_to_an_earlier_set_are_told_again(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        apply_calendar_rows(session, [calendar_row(estimates=(eps("0.84"),))], now=NOW - timedelta(days=1))
        event = session.exec(select(EarningsEvent)).one()
        record_reported(session, event, eps("0.89"), source="finnhub", reported_at=NOW)
        assert evaluate_event(session, event, outbox=OUTBOX, now=NOW).alert is not None  # beat
        record_reported(session, event, eps("0.80"), source="finnhub", reported_at=NOW)  # a vendor's slip
        assert evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(minutes=5)).alert is not None  # miss
        record_reported(session, event, eps("0.89"), source="sec", reported_at=NOW - timedelta(minutes=10))
        third = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(minutes=10))
        assert third.alert is not None and third.is_correction
        assert "NVDA beat" in third.alert.text and "EPS $0.89 vs $0.84 est." in third.alert.text


def test_a_revision_nobody_could_see_sends_nothing(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        apply_calendar_rows(session, [calendar_row(estimates=(revenue("37720000000"), eps("0.84")))],
                            now=NOW - timedelta(days=1))
        event = session.exec(select(EarningsEvent)).one()
        record_reported(session, event, revenue("39331000000"), source="sec", reported_at=NOW)
        record_reported(session, event, eps("0.89"), source="sec", reported_at=NOW)
        assert evaluate_event(session, event, outbox=OUTBOX, now=NOW).alert is not None
        record_reported(session, event, revenue("39331400000"), source="sec", reported_at=NOW)  # still $39.33B
        assert evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(minutes=5)).alert is None
        assert len(_texts(session)) == 1


def test_a_vendor_estimate_revised_in_the_row_that_brings_the_actual_does_not_move_the_bar(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        before = calendar_row(source="finnhub", estimates=(eps("0.85"),))
        apply_calendar_rows(session, [before], now=NOW - timedelta(days=1))
        after = calendar_row(source="finnhub", estimates=(eps("0.90"),), actuals=(eps("0.89"),))
        report = apply_calendar_rows(session, [after], now=NOW)
        event = session.exec(select(EarningsEvent)).one()
        assert report.reported_events == {event.id}
        evaluation = evaluate_event(session, event, outbox=OUTBOX, now=NOW)
        assert evaluation.alert is not None
        assert "NVDA beat" in evaluation.alert.text and "EPS $0.89 vs $0.85 est." in evaluation.alert.text


def test_a_vendors_revenue_and_the_releases_are_one_revenue(db: Engine) -> None:
    from bot.sources.calendar import usd_revenue

    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        apply_calendar_rows(session, [calendar_row(source="finnhub", estimates=(eps("0.84"), usd_revenue(Decimal("38050000000"))))],
                            now=NOW - timedelta(days=1))
        event = session.exec(select(EarningsEvent)).one()
        vendor = calendar_row(source="finnhub", actuals=(eps("0.89"), usd_revenue(Decimal("39100000000"))))
        apply_calendar_rows(session, [vendor], now=NOW)
        assert evaluate_event(session, event, outbox=OUTBOX, now=NOW).alert is not None
        record_reported(session, event, revenue("39331000000"), source="sec", reported_at=NOW - timedelta(minutes=5))
        record_reported(session, event, eps("0.89"), source="sec", reported_at=NOW - timedelta(minutes=5))
        correction = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(minutes=10))
        assert correction.alert is not None
        text = correction.alert.text
        assert "Revenue $39.33B vs $38.05B est." in text
        assert "$39.10B" not in text


def test_a_quarter_only_one_vendor_lists_stays_one_event_however_far_its_date_moves(db: Engine) -> None:
    with Session(db) as session:
        add_company(session, fiscal_year_end_month=None)
        add_company(session, "AAPL", "Apple Inc.", 320193, fiscal_year_end_month=None)
        finnhub = {"source": "finnhub", "period": None, "fiscal": (2025, 4), "count": None}
        apply_calendar_rows(session, [calendar_row(**finnhub, day=date(2025, 4, 2))], now=NOW - timedelta(days=60))
        apply_calendar_rows(session, [
            calendar_row("AAPL", day=date(2025, 1, 30), period=(2024, 12)),
            calendar_row(**finnhub, day=date(2025, 2, 26)),  # 35 days earlier
        ], now=NOW - timedelta(days=59))
        session.commit()
        events = {(e.company_id, e.fiscal_period): e.report_date for e in session.exec(select(EarningsEvent)).all()}
    assert len(events) == 2
    assert date(2025, 2, 26) in events.values() and date(2025, 1, 30) in events.values()


def test_a_row_of_another_fiscal_quarter_never_joins_an_event_by_its_date(db: Engine) -> None:
    with Session(db) as session:
        add_company(session, fiscal_year_end_month=None)
        apply_calendar_rows(session, [
            calendar_row(day=date(2025, 2, 26), estimates=(eps("0.84"),)),
            calendar_row(source="finnhub", period=None, fiscal=(2025, 4), day=date(2025, 2, 26)),
            calendar_row(source="finnhub", period=None, fiscal=(2026, 1), day=date(2025, 3, 20), estimates=(eps("0.95"),)),
        ], now=NOW - timedelta(days=5))
        session.commit()
        events = session.exec(select(EarningsEvent).order_by(EarningsEvent.report_date)).all()
        assert [(e.fiscal_year, e.fiscal_quarter) for e in events] == [(2025, 4), (2026, 1)]
        q4 = session.exec(select(ExpectationRow).where(ExpectationRow.event_id == events[0].id)).all()
        assert [r.value for r in q4] == [Decimal("0.84")]


def test_the_fiscal_year_end_is_learned_from_two_vendors_rows_for_one_report(db: Engine) -> None:
    with Session(db) as session:
        company = add_company(session, fiscal_year_end_month=None)
        apply_calendar_rows(session, [
            calendar_row(day=date(2025, 2, 26)),  # Nasdaq: quarter ending Jan/2025
            calendar_row(source="finnhub", period=None, fiscal=(2025, 4), day=date(2025, 2, 26)),  # Finnhub: Q4 2025
        ], now=NOW - timedelta(days=5))
        apply_calendar_rows(session, [calendar_row(day=date(2025, 2, 26))], now=NOW - timedelta(days=4))
        session.commit()
        assert company.fiscal_year_end_month == 1
        assert session.exec(select(EarningsEvent)).one().period_label == "Q4 FY2025"


def test_an_alert_written_under_an_older_key_scheme_is_not_sent_again(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        apply_calendar_rows(session, [calendar_row(estimates=(eps("0.84"),))], now=NOW - timedelta(days=1))
        event = session.exec(select(EarningsEvent)).one()
        record_reported(session, event, eps("0.89"), source="sec", reported_at=NOW)
        first = evaluate_event(session, event, outbox=OUTBOX, now=NOW)
        assert first.alert is not None
        first.alert.dedup_key = f"result:{event.id}:0123456789ab"  # as a previous version keyed it
        session.add(first.alert)
        session.flush()
        assert evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=1)).alert is None
        assert len(_texts(session)) == 1
