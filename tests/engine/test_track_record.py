"""Growth, streak and outlook in the result alert, from a real release and the stored history: the
outlook against the next quarter's consensus (a range by its midpoint, a full-year plan never against
a quarter), year over year as the release states it or from the same quarter a year earlier, the
streak over the last eight quarters; /last reads the same result with the asking chat's own numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.domain.figures import Basis, Figure, Unit
from bot.domain.periods import period_key_for
from bot.engine.detect import EdgarDetector
from bot.engine.guidance import GuidanceSeen, guidance_seen
from bot.engine.last_result import last_result
from bot.engine.own_numbers import set_own_number
from bot.engine.releases import apply_release_figures
from bot.engine.sync import apply_calendar_rows
from bot.kpis import load_kpis
from bot.sandbox.edgar import LoopbackEdgar, PublishedFiling
from bot.sources.edgar.client import EdgarClient
from bot.sources.edgar.press_release import extract_figures
from bot.sources.edgar.release_growth import stated_growth
from bot.sources.http import RateLimiter, make_client
from bot.store.db import ThreadedTransactions
from bot.store.figures import record_expectation
from bot.store.history import record_history
from bot.store.tables import (
    Alert,
    AlertKind,
    Company,
    EarningsEvent,
    Filing,
    FilingKind,
    GuidanceStatement,
    ReportedFigure,
    ResultHistory,
    saved_id,
)
from tests.conftest import FIXTURES
from tests.engine.helpers import NOW, OUTBOX, add_company, calendar_row, eps, revenue, watching_chat

ALICE, BOB = 5_100_000_001, 5_100_000_002
ACCEPTED = datetime(2025, 2, 26, 21, 21, 32, tzinfo=UTC)
RELEASE = (FIXTURES / "press_releases" / "nvda_q4_fy2025_ex99-1.htm").read_bytes()
NVDA_PAST = [("2024-10", "0.81", "0.75"), ("2024-07", "0.68", "0.64"), ("2024-04", "0.61", "0.56"),
             ("2024-01", "0.52", "0.46")]  # adjusted EPS actual, consensus (Nasdaq's surprise table)


def scheduled(session: Session, *, next_quarter: bool = True) -> Company:
    company = add_company(session)
    watching_chat(session, ALICE, "NVDA")
    watching_chat(session, BOB, "NVDA")
    rows = [calendar_row(estimates=(eps("0.84"), revenue("37720000000")), fiscal=(2025, 4))]
    if next_quarter:
        rows.append(calendar_row(day=date(2025, 5, 28), period=(2025, 4), fiscal=(2026, 1),
                                 estimates=(eps("0.93"), revenue("41800000000"))))
    apply_calendar_rows(session, rows, now=NOW - timedelta(days=2))
    session.flush()
    return company


def seed(session: Session, company: Company, past: list[tuple[str, str, str]] = NVDA_PAST) -> None:
    for key, actual, estimate in past:
        record_history(session, saved_id(company), key, eps(actual), source="nasdaq", now=NOW,
                       estimate=Decimal(estimate))
    record_history(session, saved_id(company), "2024-01", revenue("22103000000"), source="xbrl", now=NOW)


def report(session: Session, company: Company, *, growth: bool = True, extra: list[GuidanceSeen] | None = None,
           ) -> str:
    """The NVDA 8-K lands with its press release; return the result alert's text."""
    release = extract_figures(RELEASE)
    figures = [f.as_figure() for f in release.figures]
    if growth:
        figures += stated_growth(RELEASE, figures)
    filing = Filing(accession="0001045810-25-000021", company_id=company.id, cik=1045810, form="8-K",
                    items="2.02,9.01", accepted_at=ACCEPTED, url="https://www.sec.gov/x-index.htm",
                    kind=FilingKind.EARNINGS_RELEASE, seen_at=ACCEPTED)
    session.add(filing)
    session.flush()
    apply_release_figures(session, filing, figures, outbox=OUTBOX, now=ACCEPTED + timedelta(seconds=30),
                          period_end=release.period_end,
                          guidance=[*guidance_seen(release.figures), *(extra or [])])
    session.commit()
    return latest_result_text(session)


def latest_result_text(session: Session) -> str:
    alerts = session.exec(select(Alert).where(col(Alert.kind).in_([AlertKind.RESULT, AlertKind.CORRECTION]))
                          .order_by(col(Alert.id))).all()
    return alerts[-1].text


def test_the_alert_shows_the_outlook_against_the_next_quarters_consensus_growth_and_streak(db: Engine) -> None:
    with Session(db) as session:
        company = scheduled(session)
        seed(session, company)
        text = report(session, company)
    assert "Outlook: revenue $43.0B ±2% vs $41.8B consensus (+2.9%) · Q1 FY2026, midpoint of the range" in text
    assert "Revenue +78% YoY · adjusted EPS +71% YoY" in text  # as the release states them
    assert "🔁 5th straight EPS beat" in text  # this quarter and the four before it
    assert "Next-quarter revenue outlook" not in text  # the outlook is not a reported fact of this quarter


def test_growth_comes_from_the_same_quarter_a_year_earlier_when_the_release_states_none(db: Engine) -> None:
    with Session(db) as session:
        company = scheduled(session)
        seed(session, company)
        text = report(session, company, growth=False)
    # 39.331B against 22.103B; 0.89 adjusted against 0.52 adjusted
    assert "Revenue +78% YoY · adjusted EPS +71% YoY" in text


def test_eps_growth_is_never_gaap_against_adjusted(db: Engine) -> None:
    with Session(db) as session:
        company = scheduled(session)
        record_history(session, saved_id(company), "2024-01", eps("0.49", Basis.GAAP), source="xbrl", now=NOW)
        record_history(session, saved_id(company), "2024-01", revenue("22103000000"), source="xbrl", now=NOW)
        text = report(session, company, growth=False)
    assert "Revenue +78% YoY" in text
    assert "EPS +" not in text.split("Revenue +78% YoY", 1)[1].split("\n", 1)[0]  # the headline EPS is adjusted


def test_without_history_or_a_next_quarter_the_outlook_stands_alone_and_no_streak_is_claimed(db: Engine) -> None:
    with Session(db) as session:
        company = scheduled(session, next_quarter=False)
        text = report(session, company, growth=False)
    assert "Outlook: revenue $43.0B ±2% · Q1 FY2026, no consensus stored" in text
    assert "straight" not in text and "YoY" not in text


def test_a_quarter_missing_from_the_history_ends_the_streak(db: Engine) -> None:
    with Session(db) as session:
        company = scheduled(session)
        seed(session, company, [NVDA_PAST[0], NVDA_PAST[2], NVDA_PAST[3]])  # Jul 2024 unknown
        text = report(session, company)
    assert "🔁 2nd straight EPS beat" in text


def test_a_miss_ends_a_run_of_beats(db: Engine) -> None:
    with Session(db) as session:
        company = scheduled(session)
        seed(session, company, [("2024-10", "0.70", "0.75"), *NVDA_PAST[1:]])
        text = report(session, company)
    assert "straight" not in text  # this beat follows a miss


def test_a_full_year_capex_plan_is_stored_as_guidance_and_never_set_against_a_quarters_consensus(db: Engine) -> None:
    capex_2025 = GuidanceSeen(Figure("kpi:capex_guidance", Basis.GAAP, Unit.MONEY, "USD", Decimal(105) * 10**9), "2025")
    with Session(db) as session:
        company = scheduled(session)
        following = session.exec(select(EarningsEvent).where(EarningsEvent.fiscal_year == 2026)).one()
        record_expectation(session, following, Figure("kpi:capex", Basis.GAAP, Unit.MONEY, "USD",
                                                      Decimal(26) * 10**9), source="finnhub", as_of=NOW)
        text = report(session, company, extra=[capex_2025])
        [stored] = session.exec(select(GuidanceStatement).where(GuidanceStatement.metric == "kpi:capex_guidance")).all()
        assert (stored.span, stored.period, stored.period_label, stored.value) == ("year", "FY2025", "2025",
                                                                                   Decimal(105) * 10**9)
        capex_actuals = session.exec(select(ReportedFigure).where(col(ReportedFigure.metric).like("kpi:capex%"))).all()
        assert capex_actuals == []  # not the quarter's actual
    [line] = [line for line in text.splitlines() if line.startswith("Outlook: capex")]
    assert line == "Outlook: capex $105.0B · 2025, full-year plan"


def test_each_judged_result_joins_the_history_the_next_quarter_counts_from(db: Engine) -> None:
    with Session(db) as session:
        company = scheduled(session)
        report(session, company)
        rows = session.exec(select(ResultHistory).where(ResultHistory.source == "bot")).all()
        judged = {(r.fiscal_period, r.metric, r.basis): (r.actual, r.estimate) for r in rows}
    assert judged[("2025-01", "eps", "adjusted")] == (Decimal("0.89"), Decimal("0.84"))
    assert judged[("2025-01", "revenue", "gaap")] == (Decimal("39331000000"), Decimal("37720000000"))
    assert period_key_for(date(2025, 1, 26)) == "2025-01"


def test_last_shows_the_latest_result_with_the_asking_chats_own_numbers(db: Engine) -> None:
    with Session(db) as session:
        company = scheduled(session)
        seed(session, company)
        stored = set_own_number(session, ALICE, "NVDA", "eps", "0.90", kpis_of=load_kpis().for_company,
                                now=NOW - timedelta(days=1))
        assert stored.value is not None
        report(session, company)
        mine = last_result(session, ALICE, "nvda")
        theirs = last_result(session, BOB, "NVDA")
        alerts_before = len(session.exec(select(Alert)).all())
        again = last_result(session, ALICE, "NVDA")
        assert len(session.exec(select(Alert)).all()) == alerts_before  # asking writes nothing
    assert mine.report is not None and theirs.report is not None and again.report == mine.report
    assert [(c.actual.value, c.expectation.figure.value, c.verdict.value) for c in mine.own] == [
        (Decimal("0.89"), Decimal("0.90"), "miss")]
    assert theirs.own == ()
    assert mine.report.streak is not None and mine.report.streak.quarters == 5
    assert [round(o.percent, 1) for o in mine.report.outlook if o.percent is not None] == [Decimal("2.9")]


def test_last_of_an_unknown_or_unreported_company(db: Engine) -> None:
    with Session(db) as session:
        scheduled(session)
        add_company(session, "AMZN", "AMAZON COM INC", cik=1018724, fiscal_year_end_month=12)
        session.commit()
        unknown = last_result(session, ALICE, "NVDAX")
        none_yet = last_result(session, ALICE, "AMZN")
        nvda_before = last_result(session, ALICE, "NVDA")
        garbage = last_result(session, ALICE, "<b>$$$")
    assert not unknown.known and "NVDA" in unknown.suggestions
    assert none_yet.known and none_yet.report is None
    assert nvda_before.known and nvda_before.report is None  # scheduled, not reported yet
    assert not garbage.valid


async def test_alphabets_capex_plan_for_2025_reaches_the_alert_as_guidance_through_the_detector(db: Engine) -> None:
    """The real release: "we expect to invest approximately $75 billion in capital expenditures in 2025"."""
    accepted = datetime(2025, 2, 4, 21, 5, tzinfo=UTC)
    with Session(db) as session:
        add_company(session, "GOOGL", "Alphabet Inc.", 1652044, fiscal_year_end_month=12)
        watching_chat(session, ALICE, "GOOGL")
        apply_calendar_rows(session, [calendar_row("GOOGL", day=date(2025, 2, 4), period=(2024, 12), fiscal=(2024, 4),
                                                   estimates=(eps("2.13"), revenue("96670000000")))],
                            now=accepted - timedelta(days=2))
        session.commit()
    release = (FIXTURES / "press_releases" / "googl_q4_2024_ex99-1.htm").read_text(encoding="utf-8")
    async with LoopbackEdgar() as edgar, make_client() as http:
        edgar.publish(PublishedFiling(cik=1652044, company="Alphabet Inc.", form="8-K", accession="0001652044-25-000014",
                                      accepted_at=accepted, items=("2.02", "9.01"),
                                      documents=(("8-K", "goog-20250204.htm", "<html>8-K</html>"),
                                                 ("EX-99.1", "googexhibit991q42024.htm", release))))
        detector = EdgarDetector(ThreadedTransactions(db), EdgarClient(http, edgar.url, edgar.url, "Jane Doe jane@example.com",
                                                                      RateLimiter(10)),
                                 outbox=OUTBOX, active_seconds=15, idle_seconds=300,
                                 clock=lambda: accepted + timedelta(seconds=20), kpis_of=load_kpis().for_company)
        await detector.poll()
    with Session(db) as session:
        [plan] = session.exec(select(GuidanceStatement)).all()
        assert (plan.metric, plan.span, plan.period, plan.value) == ("kpi:capex_guidance", "year", "FY2025",
                                                                     Decimal(75) * 10**9)
        capex = session.exec(select(ReportedFigure).where(col(ReportedFigure.metric).like("kpi:capex%"))).all()
        assert capex == []
        text = latest_result_text(session)
    assert "Outlook: capex $75.0B · 2025, full-year plan" in text
