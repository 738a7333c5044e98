"""A chat's own numbers: stored as an expectation of source chat:<pk> for the next report (or a named
quarter), read exactly or asked, cleared, listed beside the consensus; shown in that chat's result
alert only, each with its verdict, per (zone, own numbers) group, and kept through a correction."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.domain.expected_values import ExpectedValue
from bot.domain.figures import Basis, Figure, Unit
from bot.engine.chat_zone import change_timezone
from bot.engine.evaluate import evaluate_event
from bot.engine.own_numbers import (
    ExpectResult,
    Outcome,
    choice_data,
    choose_reading,
    own_list,
    parse_choice,
    set_own_number,
)
from bot.engine.releases import apply_release_figures
from bot.engine.subscriptions import get_chat
from bot.engine.sync import apply_calendar_rows
from bot.kpis import load_kpis
from bot.sources.edgar.press_release import extract_figures
from bot.store.figures import record_reported
from bot.store.tables import (
    Alert,
    Company,
    Delivery,
    EarningsEvent,
    EventState,
    ExpectationRow,
    Filing,
    FilingKind,
    saved_id,
)
from tests.engine.helpers import NOW, OUTBOX, add_company, calendar_row, eps, revenue, watching_chat

KPIS = load_kpis().for_company
NVDA_RELEASE = Path(__file__).resolve().parents[1] / "fixtures" / "press_releases" / "nvda_q4_fy2025_ex99-1.htm"
ALICE, BOB, CAROL, DAVE = 5_000_000_001, 5_000_000_002, -1_001_234_567_890, 5_000_000_004
DATA_CENTER = "kpi:data_center_revenue"


def scheduled(session: Session) -> EarningsEvent:
    add_company(session)
    for chat in (ALICE, BOB, CAROL, DAVE):
        watching_chat(session, chat, "NVDA")
    apply_calendar_rows(session, [calendar_row(estimates=(eps("0.84"), revenue("37720000000")))],
                        now=NOW - timedelta(days=2))
    session.commit()
    return session.exec(select(EarningsEvent)).one()


def expect(session: Session, chat: int, metric: str, text: str, ticker: str = "NVDA") -> ExpectResult:
    return set_own_number(session, chat, ticker, metric, text, kpis_of=KPIS, now=NOW - timedelta(days=1))


def own_rows(session: Session) -> list[ExpectationRow]:
    return list(session.exec(select(ExpectationRow).where(col(ExpectationRow.source).like("chat:%"))).all())


def test_a_number_is_stored_for_the_next_report_with_its_unit_and_currency(db: Engine) -> None:
    with Session(db) as session:
        event = scheduled(session)
        stored = expect(session, ALICE, "eps", "0.90")
        assert stored.outcome is Outcome.STORED and stored.period_label == "Q4 FY2025"
        assert stored.value == ExpectedValue(Decimal("0.90"), Unit.PER_SHARE, "USD")
        assert expect(session, ALICE, "revenue", "40B").value == ExpectedValue(Decimal(40_000_000_000), Unit.MONEY, "USD")
        assert expect(session, ALICE, "data_center_revenue", "36B").outcome is Outcome.STORED
        session.commit()
        chat_pk = saved_id(get_chat(session, ALICE))  # type: ignore[arg-type]
        rows = {r.metric: r for r in own_rows(session)}
        assert set(rows) == {"eps", "revenue", DATA_CENTER}
        assert all(r.source == f"chat:{chat_pk}" and r.event_id == event.id for r in rows.values())
        assert (rows["eps"].basis, rows["eps"].unit, rows["eps"].currency) == ("adjusted", "per_share", "USD")


def test_an_ambiguous_value_is_asked_and_the_choice_stored(db: Engine) -> None:
    with Session(db) as session:
        scheduled(session)
        asked = expect(session, ALICE, "revenue", "40")
        assert asked.outcome is Outcome.AMBIGUOUS and own_rows(session) == []
        assert [r.value for r in asked.readings] == [Decimal(40_000_000), Decimal(40_000_000_000)]
        data = [choice_data(asked, r) for r in asked.readings]
        assert all(len(("exp:" + d).encode()) <= 64 for d in data)
        event_id, index, value = parse_choice(data[1])  # type: ignore[misc]
        chosen = choose_reading(session, ALICE, event_id, index, value, kpis_of=KPIS, now=NOW)
        assert chosen.outcome is Outcome.STORED
        [row] = own_rows(session)
        assert (row.metric, row.value, row.currency) == ("revenue", Decimal(40_000_000_000), "USD")
        assert parse_choice("1:2:money:USD:abc") is None and parse_choice("nonsense") is None


def test_bad_input_changes_nothing_and_says_why(db: Engine) -> None:
    with Session(db) as session:
        scheduled(session)
        bad = expect(session, ALICE, "eps", "abc")
        assert bad.outcome is Outcome.INVALID_VALUE and "0.90" in bad.message
        assert expect(session, ALICE, "revenue", "15%").outcome is Outcome.INVALID_VALUE
        unknown = expect(session, ALICE, "cloud", "15%")
        assert unknown.outcome is Outcome.UNKNOWN_METRIC
        assert [m.key for m in unknown.metrics] == ["eps", "revenue", "data_center_revenue"]
        assert expect(session, ALICE, "eps", "0.9", ticker="NVDX").outcome is Outcome.UNKNOWN_TICKER
        assert expect(session, ALICE, "eps", "0.9", ticker="NVDX").suggestions == ("NVDA",)
        assert expect(session, ALICE, "eps", "0.90 FY2025").outcome is Outcome.FULL_YEAR
        assert own_rows(session) == []


def test_a_named_quarter_gets_its_event_which_a_later_calendar_row_joins(db: Engine) -> None:
    with Session(db) as session:
        scheduled(session)
        stored = expect(session, ALICE, "eps", "0.95 Q1FY2026")
        assert stored.outcome is Outcome.STORED and stored.period_label == "Q1 FY2026"
        created = session.get(EarningsEvent, stored.event_id)
        assert created is not None and created.fiscal_period == "2025-04" and created.report_date is None
        apply_calendar_rows(session, [calendar_row(day=date(2025, 5, 28), period=(2025, 4))], now=NOW)
        assert len(session.exec(select(EarningsEvent)).all()) == 2
        assert created.report_date == date(2025, 5, 28)


def test_clear_removes_one_metric_and_a_reported_quarter_is_refused(db: Engine) -> None:
    with Session(db) as session:
        event = scheduled(session)
        expect(session, ALICE, "eps", "0.90")
        expect(session, ALICE, "revenue", "40B")
        assert expect(session, ALICE, "eps", "clear").outcome is Outcome.CLEARED
        assert [r.metric for r in own_rows(session)] == ["revenue"]
        assert expect(session, ALICE, "eps", "clear").outcome is Outcome.NOT_SET
        event.state = EventState.REPORTED
        session.add(event)
        assert expect(session, ALICE, "eps", "0.9 Q4FY2025").outcome is Outcome.REPORTED


def test_expectations_lists_the_chats_own_with_the_consensus_beside(db: Engine) -> None:
    with Session(db) as session:
        scheduled(session)
        expect(session, ALICE, "eps", "0.90")
        expect(session, ALICE, "eps", "0.91")  # replaces it
        expect(session, ALICE, "data_center_revenue", "36B")
        expect(session, BOB, "eps", "0.70")
        listed = own_list(session, ALICE, None, kpis_of=KPIS)
        assert [(e.metric_name, e.figure.value) for e in listed.entries] == [
            ("Data Center revenue", Decimal(36_000_000_000)), ("adjusted EPS", Decimal("0.91"))]
        by_name = {e.metric_name: e for e in listed.entries}
        assert by_name["adjusted EPS"].consensus is not None
        assert by_name["adjusted EPS"].consensus.figure.value == Decimal("0.84")
        assert by_name["Data Center revenue"].consensus is None
        assert not own_list(session, ALICE, "NVDX", kpis_of=KPIS).known


def report(session: Session, event: EarningsEvent, *, revenue_value: str = "39331000000", source: str = "sec") -> None:
    at = NOW + timedelta(hours=7)
    accession = "0001045810-25-000021"
    if session.exec(select(Filing).where(Filing.accession == accession)).first() is None:
        session.add(Filing(accession=accession, company_id=event.company_id, cik=1045810, form="8-K", accepted_at=at,
                           url="https://www.sec.gov/x", kind=FilingKind.EARNINGS_RELEASE))
    for figure in (eps("0.89"), revenue(revenue_value),
                   Figure(DATA_CENTER, Basis.GAAP, Unit.MONEY, "USD", Decimal(35_600_000_000))):
        record_reported(session, event, figure, source=source, reported_at=at, accession=accession)
    session.flush()


def texts_by_chat(session: Session, alert: Alert) -> dict[int, str]:
    rows = session.exec(select(Delivery).where(Delivery.alert_id == alert.id)).all()
    pk_to_chat = {saved_id(chat): chat.chat_id for c in (ALICE, BOB, CAROL, DAVE)
                  if (chat := get_chat(session, c)) is not None}
    return {pk_to_chat[d.chat_pk]: d.text or alert.text for d in rows}


def test_the_result_shows_each_chats_own_numbers_to_that_chat_only(db: Engine) -> None:
    with Session(db) as session:
        event = scheduled(session)
        for chat in (ALICE, CAROL):
            expect(session, chat, "eps", "0.90")
            expect(session, chat, "data_center_revenue", "36B")
        expect(session, DAVE, "eps", "0.80")
        change_timezone(session, CAROL, "Asia/Shanghai", now=NOW)
        report(session, event)
        evaluation = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=7))
        assert evaluation.alert is not None and evaluation.report is not None
        assert evaluation.report.headline[0].expectation.source == "nasdaq"  # consensus, never a chat's
        texts = texts_by_chat(session, evaluation.alert)
        assert "EPS $0.89 vs $0.90 yours (-1.1%) ❌ miss" in texts[ALICE]
        assert "Data center revenue $35.60B vs $36.00B yours (-1.1%) ❌ miss" in texts[ALICE]
        assert "EPS $0.89 vs $0.84 est. (+6.0%) ✅ beat" in texts[ALICE]
        assert "EPS $0.89 vs $0.80 yours (+11.3%) ✅ beat" in texts[DAVE] and "Data center revenue $35.60B vs" not in texts[DAVE]
        assert "yours" not in texts[BOB] and "yours" not in evaluation.alert.text
        with_the_same = session.exec(select(Delivery).where(Delivery.alert_id == evaluation.alert.id,
                                                            col(Delivery.text).is_not(None))).all()
        assert len(with_the_same) == 3  # Alice, Carol and Dave: Bob reads the alert's own text
        assert "yours (-1.1%) ❌ miss" in texts[CAROL] and "05:00 your time" in texts[CAROL]
        assert "your time" not in texts[ALICE]


def test_an_own_number_in_another_currency_gets_no_verdict(db: Engine) -> None:
    with Session(db) as session:
        event = scheduled(session)
        expect(session, ALICE, "revenue", "RMB 280B")
        report(session, event)
        evaluation = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=7))
        assert evaluation.alert is not None
        text = texts_by_chat(session, evaluation.alert)[ALICE]
        assert "Revenue $39.33B vs RMB280.00B yours ⚠️ not comparable" in text
        assert "beat" not in text.split("yours")[1].split("\n")[0]


def test_a_correction_keeps_each_chats_own_line(db: Engine) -> None:
    with Session(db) as session:
        event = scheduled(session)
        expect(session, ALICE, "eps", "0.90")
        report(session, event)
        first = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=7))
        assert first.alert is not None
        record_reported(session, event, revenue("39500000000"), source="sec", reported_at=NOW + timedelta(hours=7),
                        accession="0001045810-25-000021")
        session.flush()
        corrected = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=8))
        assert corrected.is_correction and corrected.alert is not None
        texts = texts_by_chat(session, corrected.alert)
        assert "(updated)" in texts[ALICE] and "EPS $0.89 vs $0.90 yours (-1.1%) ❌ miss" in texts[ALICE]
        assert "Revenue $39.50B" in texts[ALICE]
        assert "yours" not in texts[BOB]


def test_a_number_set_after_the_report_is_not_what_the_chat_expected(db: Engine) -> None:
    with Session(db) as session:
        event = scheduled(session)
        report(session, event)
        set_own_number(session, ALICE, "NVDA", "eps", "0.85", kpis_of=KPIS, now=NOW + timedelta(hours=9))
        evaluation = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=9))
        assert evaluation.alert is not None
        assert "yours" not in texts_by_chat(session, evaluation.alert)[ALICE]


def own_quarter_before_any_calendar(session: Session) -> EarningsEvent:
    """NVDA's fiscal year end is not known yet: "Q4 FY2025" can only be named by its fiscal quarter."""
    add_company(session, fiscal_year_end_month=None)
    for chat in (ALICE, BOB):
        watching_chat(session, chat, "NVDA")
    stored = expect(session, ALICE, "eps", "0.95 Q4FY2025")
    assert stored.outcome is Outcome.STORED and stored.period_label == "Q4 FY2025"
    own = session.get(EarningsEvent, stored.event_id)
    assert own is not None and own.fiscal_period == "FY2025Q4" and own.report_date is None
    return own


def nvda_results(session: Session) -> Alert:
    """The NVDA 8-K lands with its real press release ("fourth quarter ended January 26, 2025")."""
    release = extract_figures(NVDA_RELEASE.read_bytes())
    at = NOW + timedelta(hours=7)
    filing = Filing(accession="0001045810-25-000021", company_id=session.exec(select(Company)).one().id, cik=1045810,
                    form="8-K", accepted_at=at, url="https://www.sec.gov/x", kind=FilingKind.EARNINGS_RELEASE)
    session.add(filing)
    session.flush()
    [evaluation] = apply_release_figures(session, filing, [f.as_figure() for f in release.figures], outbox=OUTBOX,
                                         now=at, period_end=release.period_end,
                                         fiscal_quarter=release.fiscal_quarter)
    assert evaluation.alert is not None
    return evaluation.alert


def test_an_own_quarter_typed_before_any_calendar_gets_the_release_that_reports_it(db: Engine) -> None:
    with Session(db) as session:
        own = own_quarter_before_any_calendar(session)
        alert = nvda_results(session)
        texts = texts_by_chat(session, alert)
        assert "EPS $0.89 vs $0.95 yours (-6.3%) ❌ miss" in texts[ALICE]
        assert "yours" not in texts[BOB]
        [event] = session.exec(select(EarningsEvent)).all()
        assert event.id == own.id and event.fiscal_period == "2025-01" and event.period_label == "Q4 FY2025"
        assert (event.report_date, event.date_status) == ((NOW + timedelta(hours=7)).date(), "confirmed")
        assert session.exec(select(Company)).one().fiscal_year_end_month == 1


def test_an_own_quarter_is_folded_into_the_calendars_event_once_the_fiscal_year_end_is_known(db: Engine) -> None:
    with Session(db) as session:
        own_quarter_before_any_calendar(session)
        # Nasdaq names the quarter by its end month only, Finnhub by its fiscal quarter only
        apply_calendar_rows(session, [calendar_row(estimates=(eps("0.84"),))], now=NOW - timedelta(days=2))
        apply_calendar_rows(session, [calendar_row(source="finnhub", period=None, fiscal=(2025, 4),
                                                   estimates=(eps("0.85"),))], now=NOW - timedelta(days=2))
        [event] = session.exec(select(EarningsEvent)).all()
        assert (event.fiscal_period, event.report_date, event.period_label) == ("2025-01", date(2025, 2, 26), "Q4 FY2025")
        assert {r.source.split(":")[0] for r in session.exec(select(ExpectationRow)).all()} == {"nasdaq", "finnhub", "chat"}
        texts = texts_by_chat(session, nvda_results(session))
        assert "EPS $0.89 vs $0.95 yours (-6.3%) ❌ miss" in texts[ALICE]
        assert "EPS $0.89 vs $0.84 est." in texts[ALICE] and "yours" not in texts[BOB]


def test_an_own_quarter_joins_the_calendars_event_known_only_by_its_date(db: Engine) -> None:
    with Session(db) as session:
        own_quarter_before_any_calendar(session)
        # a vendor that names neither the quarter's end month nor its fiscal quarter: keyed by its date
        apply_calendar_rows(session, [calendar_row(day=(NOW + timedelta(hours=7)).date(), period=None,
                                                   estimates=(eps("0.84"),))], now=NOW - timedelta(days=2))
        assert sorted(e.fiscal_period for e in session.exec(select(EarningsEvent)).all()) == [
            "FY2025Q4", f"date:{(NOW + timedelta(hours=7)).date().isoformat()}"]
        texts = texts_by_chat(session, nvda_results(session))
        assert "EPS $0.89 vs $0.95 yours (-6.3%) ❌ miss" in texts[ALICE]
        assert "EPS $0.89 vs $0.84 est. (+6.0%) ✅ beat" in texts[ALICE] and "yours" not in texts[BOB]
        [event] = session.exec(select(EarningsEvent)).all()
        assert (event.fiscal_period, event.period_label) == ("2025-01", "Q4 FY2025")


def test_a_quarter_named_before_the_fiscal_year_end_was_learned_is_settled_at_the_next_sync(db: Engine) -> None:
    with Session(db) as session:
        own_quarter_before_any_calendar(session)
        company = session.exec(select(Company)).one()
        company.fiscal_year_end_month = 1  # learned once, by a version that left the event alone
        session.add(company)
        apply_calendar_rows(session, [calendar_row(estimates=(eps("0.84"),))], now=NOW - timedelta(days=2))
        [event] = session.exec(select(EarningsEvent)).all()
        assert event.fiscal_period == "2025-01"
        assert {r.source.split(":")[0] for r in session.exec(select(ExpectationRow)).all()} == {"nasdaq", "chat"}
