"""A segment's growth KPI in the result alert: as the release states it, else computed from the same
segment's amount in the same fiscal quarter a year earlier (recorded when that quarter was judged),
never from the quarter before and never across currencies. Through evaluate on a real database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.domain.figures import Basis, Figure, Metric, Unit
from bot.engine.evaluate import evaluate_event
from bot.engine.last_result import last_result
from bot.engine.own_numbers import Outcome, set_own_number
from bot.engine.subscriptions import get_chat
from bot.engine.sync import apply_calendar_rows
from bot.kpis import load_kpis
from bot.store.figures import record_reported
from bot.store.history import record_history
from bot.store.tables import Company, Delivery, EarningsEvent, ResultHistory, saved_id
from bot.telegram.result_commands import last_reply
from tests.engine.helpers import NOW, OUTBOX, add_company, calendar_row, watching_chat

KPIS = load_kpis().for_company
ALICE = 5_200_000_001
CLOUD_REVENUE, CLOUD_GROWTH = "kpi:cloud_revenue", "kpi:cloud_growth"
COMPUTED = "computed from the same quarter a year earlier, not stated"


def eps(value: str) -> Figure:
    return Figure(Metric.EPS, Basis.ADJUSTED, Unit.PER_ADS, "CNY", Decimal(value))


def revenue(value: str) -> Figure:
    return Figure(Metric.REVENUE, Basis.GAAP, Unit.MONEY, "CNY", Decimal(value))


def cloud(value: str, currency: str = "CNY") -> Figure:
    return Figure(CLOUD_REVENUE, Basis.GAAP, Unit.MONEY, currency, Decimal(value))


def stated_growth(value: str) -> Figure:
    return Figure(CLOUD_GROWTH, Basis.GAAP, Unit.PERCENT, None, Decimal(value))


def baba(session: Session) -> Company:
    company = add_company(session, "BABA", "Alibaba Group Holding Ltd", 1577552, fiscal_year_end_month=3,
                          currency="CNY")
    watching_chat(session, ALICE, "BABA")
    return company


def scheduled(session: Session, day: date, period: tuple[int, int], fiscal: tuple[int, int]) -> EarningsEvent:
    apply_calendar_rows(session, [calendar_row(
        "BABA", day=day, period=period, fiscal=fiscal, estimates=(eps("21.00"), revenue("279000000000")))],
        now=datetime.combine(day, datetime.min.time(), NOW.tzinfo) - timedelta(days=2))
    session.commit()
    return session.exec(select(EarningsEvent).where(EarningsEvent.fiscal_quarter == fiscal[1],
                                                    EarningsEvent.fiscal_year == fiscal[0])).one()


def december_2024(session: Session) -> EarningsEvent:
    event = scheduled(session, date(2025, 2, 20), (2024, 12), (2025, 3))
    assert event.fiscal_period == "2024-12"
    outcome = set_own_number(session, ALICE, "BABA", "cloud_growth", "15%", kpis_of=KPIS, now=NOW - timedelta(days=7))
    assert outcome.outcome is Outcome.STORED
    set_own_number(session, ALICE, "BABA", "eps", "RMB 21", kpis_of=KPIS, now=NOW - timedelta(days=7))
    session.commit()
    return event


def report_and_read(session: Session, event: EarningsEvent, figures: list[Figure], at: datetime = NOW) -> str:
    """The event's figures arrive and are judged; return the text Alice reads."""
    for figure in figures:
        record_reported(session, event, figure, source="sec", reported_at=at, accession="0001104659-25-000001")
    session.flush()
    evaluation = evaluate_event(session, event, outbox=OUTBOX, now=at)
    assert evaluation.alert is not None
    session.commit()
    chat = get_chat(session, ALICE)
    assert chat is not None
    delivery = session.exec(select(Delivery).where(Delivery.alert_id == evaluation.alert.id,
                                                   Delivery.chat_pk == chat.id)).one()
    return delivery.text or evaluation.alert.text


def cloud_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Cloud growth")]


def test_the_growth_is_computed_from_the_amount_recorded_when_the_quarter_a_year_earlier_was_judged(
    db: Engine,
) -> None:
    with Session(db) as session:
        company = baba(session)
        year_ago = scheduled(session, date(2024, 2, 7), (2023, 12), (2024, 3))
        report_and_read(session, year_ago, [eps("19.00"), revenue("260350000000"), cloud("28066000000")],
                        at=datetime(2024, 2, 7, 12, tzinfo=NOW.tzinfo))
        recorded = session.exec(select(ResultHistory).where(ResultHistory.metric == CLOUD_REVENUE)).all()
        assert [(r.fiscal_period, r.actual, r.currency) for r in recorded] == [("2023-12", Decimal("28066000000"), "CNY")]
        event = december_2024(session)
        text = report_and_read(session, event, [eps("21.39"), revenue("280154000000"), cloud("31742000000")])
        shown = last_reply(last_result(session, ALICE, "baba"))
        assert company.id is not None
    # 31.742B against 28.066B a year earlier: +13.1%, against Alice's 15%
    assert cloud_lines(text) == [f"Cloud growth 13.1% vs 15.0% yours (-12.7%) ❌ miss · {COMPUTED}"]
    assert cloud_lines(shown) == cloud_lines(text)  # /last BABA says the same
    assert "Cloud revenue RMB31.74B" in text.split("Reported:")[1] and "growth" not in text.split("Reported:")[1]


def test_a_growth_the_release_states_wins_over_the_computed_one(db: Engine) -> None:
    with Session(db) as session:
        company = baba(session)
        record_history(session, saved_id(company), "2023-12", cloud("28066000000"), source="bot", now=NOW)
        event = december_2024(session)
        text = report_and_read(session, event, [eps("21.39"), revenue("280154000000"), cloud("31742000000"),
                                                stated_growth("13")])
    assert cloud_lines(text) == ["Cloud growth 13.0% vs 15.0% yours (-13.3%) ❌ miss"]
    assert COMPUTED not in text


def test_no_growth_without_the_year_earlier_amount_and_never_from_the_quarter_before(db: Engine) -> None:
    with Session(db) as session:
        company = baba(session)
        record_history(session, saved_id(company), "2024-09", cloud("29610000000"), source="bot", now=NOW)
        event = december_2024(session)
        text = report_and_read(session, event, [eps("21.39"), revenue("280154000000"), cloud("31742000000")])
    assert "yours" in text  # Alice's EPS line: her text is the one with her own numbers
    assert cloud_lines(text) == [] and "Cloud growth" not in text


def test_no_growth_from_a_year_earlier_amount_in_another_currency(db: Engine) -> None:
    with Session(db) as session:
        company = baba(session)
        record_history(session, saved_id(company), "2023-12", cloud("3860000000", "USD"), source="bot", now=NOW)
        event = december_2024(session)
        text = report_and_read(session, event, [eps("21.39"), revenue("280154000000"), cloud("31742000000")])
    assert "yours" in text
    assert "Cloud growth" not in text
