"""Importing expectations from CSV: every row or none, bad rows named by line; a report's bar is
never moved; export then import gives the same rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select

from bot.domain.expectation_csv import COLUMNS, write_expectations_csv
from bot.engine.expectation_import import ImportOutcome, export_expectations, import_csv
from bot.engine.sync import apply_calendar_rows
from bot.kpis import load_kpis
from bot.store.db import session_scope
from bot.store.figures import latest_expectations, record_own_expectation
from bot.store.tables import EarningsEvent, ExpectationRow
from tests.engine.chart_seed import eps_figure, reported_quarter
from tests.engine.helpers import NOW, add_company, calendar_row, eps, revenue, watching_chat

KPIS = load_kpis()
HEADER = ",".join(COLUMNS) + "\n"
ALICE = 5_400_000_001


def run_import(db: Engine, text: str) -> ImportOutcome:
    with session_scope(db) as session:
        return import_csv(session, text.encode(), kpis_of=KPIS.for_company, now=NOW)


def stored(db: Engine) -> list[tuple[int, str, str, str, str | None, Decimal, str]]:
    with session_scope(db) as session:
        return [(r.event_id, r.metric, r.basis, r.unit, r.currency, r.value, r.source)
                for r in session.exec(select(ExpectationRow).order_by(col(ExpectationRow.id))).all()]


def events(db: Engine) -> int:
    with session_scope(db) as session:
        return len(session.exec(select(EarningsEvent)).all())


def seeded(session: Session) -> EarningsEvent:
    """NVDA's next report with Nasdaq's and Finnhub's consensus, Alice's own EPS, and a reported quarter."""
    nvda = add_company(session)
    add_company(session, "BABA", "Alibaba Group Holding Ltd", 1577552, fiscal_year_end_month=3, currency="CNY")
    watching_chat(session, ALICE, "NVDA")
    apply_calendar_rows(session, [
        calendar_row(fiscal=(2025, 4), estimates=(eps("0.84"), revenue("38100000000"))),
        calendar_row(fiscal=(2025, 4), source="finnhub", estimates=(eps("0.85"),)),
    ], now=NOW - timedelta(days=3))
    event = session.exec(select(EarningsEvent)).one()
    record_own_expectation(session, event, eps("0.90"), chat_pk=1, as_of=NOW - timedelta(days=2))
    return reported_quarter(session, nvda, 3, actual=(eps_figure("0.61"),), expected=(eps_figure("0.56"),))


def export_text(db: Engine) -> str:
    with session_scope(db) as session:
        return write_expectations_csv(export_expectations(session))


def test_export_then_import_gives_the_same_rows(db: Engine) -> None:
    with session_scope(db) as session:
        seeded(session)
    exported = export_text(db)
    assert exported.splitlines() == [
        HEADER.strip(),
        "NVDA,Q4 FY2020,eps,0.56,per_share,USD,adjusted,finnhub",
        f"NVDA,Q4 FY2025,eps,0.9,per_share,USD,adjusted,chat:{ALICE}",
        "NVDA,Q4 FY2025,eps,0.85,per_share,USD,adjusted,finnhub",
        "NVDA,Q4 FY2025,eps,0.84,per_share,USD,adjusted,nasdaq",
        "NVDA,Q4 FY2025,revenue,38100000000,money,USD,gaap,nasdaq",
    ]
    again = run_import(db, exported)
    assert again.imported and (again.added, again.unchanged) == (0, 5), again  # nothing new
    with session_scope(db) as session:
        session.exec(delete(ExpectationRow))  # type: ignore[call-overload]
    outcome = run_import(db, exported)
    assert outcome.imported and (outcome.added, outcome.unchanged) == (5, 0), outcome
    assert export_text(db) == exported


def test_one_bad_row_and_nothing_is_imported(db: Engine) -> None:
    with session_scope(db) as session:
        seeded(session)
    before, events_before = stored(db), events(db)
    outcome = run_import(db, HEADER
                         + "NVDA,Q1 FY2026,eps,0.95,per_share,USD,adjusted,mybank\n"  # good, and a new report
                         + "NVDAX,Q1 FY2026,eps,0.95,per_share,USD,adjusted,mybank\n"
                         + "NVDA,Q1 FY2026,ebitda,5B,money,USD,gaap,mybank\n"
                         + "NVDA,Q1 FY2026,revenue,0.95,per_share,USD,gaap,mybank\n"
                         + "NVDA,Q1 FY2026,eps,0.95,per_share,USD,adjusted,chat:777\n"
                         + "NVDA,Q1 FY2026,eps,0.97,per_share,USD,adjusted,mybank\n"
                         + "NVDA,Q1 FY2026,eps,abc,per_share,USD,adjusted,mybank\n")
    assert not outcome.imported
    assert [str(e) for e in outcome.errors] == [
        "line 3: unknown ticker NVDAX (did you mean NVDA?)",
        "line 4: NVDA has no metric 'ebitda'; it has eps, revenue, net_income, revenue_guidance, "
        "kpi:data_center_revenue",
        "line 5: revenue is money, not per_share",
        "line 6: no chat 777 has talked to the bot: its own number has nowhere to go",
        "line 7: repeats line 2 with another value (0.97 against 0.95)",
        "line 8: value 'abc' is not a number: write whole units like 36000000000 or 36B, 0.85 for EPS, 15 for 15%",
    ]
    assert stored(db) == before and events(db) == events_before  # no row, no report made


def test_a_reported_quarter_keeps_its_bar_and_takes_a_new_source_at_the_report(db: Engine) -> None:
    with session_scope(db) as session:
        old = seeded(session)
    moved = run_import(db, HEADER + "NVDA,Q4 FY2020,eps,0.60,per_share,USD,adjusted,finnhub\n")
    assert [str(e) for e in moved.errors] == [
        "line 2: NVDA Q4 FY2020 is reported: finnhub's eps was 0.56 then and stays so"]
    same = run_import(db, HEADER + "NVDA,Q4 FY2020,eps,0.56,per_share,USD,adjusted,finnhub\n"
                      + "NVDA,Q4 FY2020,eps,0.56,per_share,USD,adjusted,finnhub\n"
                      + "nvda,Q4FY2020,revenue,25.5B,money,USD,gaap,mybank\n")
    assert same.imported and (same.added, same.unchanged) == (1, 2)
    with session_scope(db) as session:
        bar = {r.source: r for r in latest_expectations(session, old.id or 0, until=old.reported_at)}
    assert bar["mybank"].value == Decimal("25500000000") and bar["mybank"].as_of == old.reported_at
    assert bar["finnhub"].value == Decimal("0.56")


def test_a_new_value_for_a_scheduled_report_is_history_and_own_numbers_find_their_chat(db: Engine) -> None:
    with session_scope(db) as session:
        seeded(session)
    outcome = run_import(db, HEADER
                         + "NVDA,Q4 FY2025,eps,0.88,per_share,USD,adjusted,finnhub\n"
                         + f"NVDA,Q4 FY2025,data_center_revenue,36B,money,USD,gaap,chat:{ALICE}\n"
                         + "BABA,2025-03,revenue,280B,money,CNY,gaap,mybank\n")
    assert outcome.imported and outcome.added == 3, outcome
    rows = stored(db)
    assert [r for r in rows if r[6] == "finnhub" and r[1] == "eps"][-1][5] == Decimal("0.88")
    assert ("kpi:data_center_revenue", Decimal("36000000000"), "chat:1") in [(r[1], r[5], r[6]) for r in rows]
    with session_scope(db) as session:
        baba = session.exec(select(EarningsEvent).where(EarningsEvent.fiscal_period == "2025-03")).one()
    assert baba.period_label == "Q4 FY2025" and baba.fiscal_quarter == 4  # BABA's year ends in March
