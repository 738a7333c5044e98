"""Which report a chat's own number is for: the company's next scheduled report, or the event of the
fiscal quarter it names, made when no calendar knows it yet (keyed as bot.engine.sync keys events,
so the calendar row of that quarter joins it later)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.domain.periods import FiscalPeriod, period_end_month, period_key
from bot.engine.subscriptions import next_events
from bot.engine.sync import label_for_company
from bot.store.companies import share_class_ids
from bot.store.tables import Company, DateStatus, EarningsEvent, saved_id


def next_event(session: Session, company: Company, *, today: date) -> EarningsEvent | None:
    """Return the issuer's next scheduled report (any class of its stock), if a calendar knows it."""
    return next_events(session, [company], today=today).get(saved_id(company))


def event_of_period(
    session: Session, company: Company, period: FiscalPeriod, *, now: datetime, create: bool
) -> EarningsEvent | None:
    """Return the issuer's event of a fiscal quarter; with `create`, make it when none exists."""
    assert period.quarter is not None
    classes = share_class_ids(session, company)
    key = _period_key(company, period)
    found = session.exec(
        select(EarningsEvent).where(
            col(EarningsEvent.company_id).in_(classes),
            (col(EarningsEvent.fiscal_period).in_([key, _fiscal_key(period)]))
            | ((col(EarningsEvent.fiscal_year) == period.fiscal_year)
               & (col(EarningsEvent.fiscal_quarter) == period.quarter)),
        ).order_by(col(EarningsEvent.id))
    ).first()
    if found is not None or not create:
        return found
    if company.fiscal_year_end_month:
        label, _year, _quarter = label_for_company(company, key)
    else:
        label = f"Q{period.quarter} FY{period.fiscal_year}"
    event = EarningsEvent(
        company_id=saved_id(company), fiscal_period=key, fiscal_year=period.fiscal_year,
        fiscal_quarter=period.quarter, period_label=label, report_date=None,
        date_status=DateStatus.ESTIMATED, updated_at=now,
    )
    session.add(event)
    session.flush()
    return event


def _fiscal_key(period: FiscalPeriod) -> str:
    return f"FY{period.fiscal_year}Q{period.quarter}"


def _period_key(company: Company, period: FiscalPeriod) -> str:
    """The quarter's end month ('2025-01') when the fiscal year end is known, else 'FY2025Q4'."""
    if company.fiscal_year_end_month and period.quarter is not None:
        return period_key(*period_end_month(period.fiscal_year, period.quarter, company.fiscal_year_end_month))
    return _fiscal_key(period)
