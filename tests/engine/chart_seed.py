"""Reported quarters with their consensus, stored as the detector and calendar sync store them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlmodel import Session

from bot.domain.figures import Basis, Figure, Metric, Unit
from bot.store.figures import record_expectation, record_reported
from bot.store.tables import Company, EarningsEvent, EventState
from tests.engine.helpers import NOW

# (adjusted EPS, EPS consensus, revenue in $B, revenue consensus in $B), oldest first
NVDA_QUARTERS = [
    ("0.25", "0.24", "13.5", "13.0"), ("0.27", "0.25", "18.1", "16.1"), ("0.52", "0.46", "22.1", "20.4"),
    ("0.61", "0.56", "26.0", "24.6"), ("0.68", "0.64", "30.0", "28.7"), ("0.81", "0.75", "35.1", "33.1"),
    ("0.89", "0.85", "39.3", "38.1"), ("0.86", "0.96", "44.1", "43.3"),
]
BILLION = Decimal(10) ** 9


def eps_figure(value: str, currency: str = "USD", unit: Unit = Unit.PER_SHARE) -> Figure:
    return Figure(Metric.EPS, Basis.ADJUSTED, unit, currency, Decimal(value))


def revenue_figure(billions: str, currency: str = "USD") -> Figure:
    return Figure(Metric.REVENUE, Basis.GAAP, Unit.MONEY, currency, Decimal(billions) * BILLION)


def reported_quarter(
    session: Session, company: Company, index: int, *, actual: tuple[Figure, ...],
    expected: tuple[Figure, ...] = (), label: str | None = None,
) -> EarningsEvent:
    """Store quarter `index` (0 = oldest, reported 90 days apart, the newest before NOW): its
    consensus a week before the report and its reported figures."""
    reported_at = NOW - timedelta(days=90 * (20 - index))
    year, quarter = 2020 + (index // 4), index % 4 + 1
    event = EarningsEvent(
        company_id=company.id, fiscal_period=f"FY{year}Q{quarter}", fiscal_year=year, fiscal_quarter=quarter,
        period_label=label or f"Q{quarter} FY{year}", report_date=reported_at.date(), state=EventState.REPORTED,
        reported_at=reported_at, updated_at=reported_at,
    )
    session.add(event)
    session.flush()
    for figure in expected:
        record_expectation(session, event, figure, source="finnhub", as_of=reported_at - timedelta(days=7),
                           estimates=20)
    for figure in actual:
        record_reported(session, event, figure, source="sec", reported_at=reported_at)
    return event


def nvda_history(session: Session, company: Company, quarters: list[tuple[str, str, str, str]] = NVDA_QUARTERS,
                 first_index: int = 0) -> None:
    for offset, (eps, eps_expected, revenue, revenue_expected) in enumerate(quarters):
        reported_quarter(session, company, first_index + offset,
                         actual=(eps_figure(eps), revenue_figure(revenue)),
                         expected=(eps_figure(eps_expected), revenue_figure(revenue_expected)))
