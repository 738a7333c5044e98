"""Sync: turn calendar rows from any vendor into events, expectation snapshots and reported figures."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.domain.figures import Figure
from bot.domain.market_time import Timing, new_york_date
from bot.domain.periods import (
    fiscal_quarter_of,
    fiscal_year_end_month_of,
    fiscal_year_of,
    period_end_month,
    period_key,
    period_label,
)
from bot.sources.calendar import CalendarRow
from bot.store.companies import find_company, share_class_ids
from bot.store.event_dates import confirmed_by, record_event_date
from bot.store.figures import latest_expectation, record_expectation, record_reported
from bot.store.tables import (
    Alert,
    Company,
    DateStatus,
    EarningsEvent,
    EventDate,
    EventState,
    ExpectationRow,
    GuidanceStatement,
    ReportedFigure,
    SourceArrival,
    saved_id,
)

logger = logging.getLogger(__name__)

SAME_EVENT_WINDOW = timedelta(days=30)


@dataclass
class DateChange:
    """A scheduled report moved to another day, or to another time of the day."""

    event_id: int
    old_date: date | None
    new_date: date
    old_timing: Timing = Timing.UNKNOWN
    new_timing: Timing = Timing.UNKNOWN
    source: str = ""


@dataclass(frozen=True)
class ConsensusChange:
    """A source's consensus for a scheduled report moved from one value to another."""

    event_id: int
    figure: Figure  # the new value
    old_value: Decimal
    source: str
    estimates: int | None


@dataclass
class SyncReport:
    """What one sync changed."""

    events_created: int = 0
    events_updated: int = 0
    expectations_stored: int = 0
    unknown_tickers: set[str] = field(default_factory=set)
    date_changes: list[DateChange] = field(default_factory=list)
    reported_events: set[int] = field(default_factory=set)
    consensus_changes: list[ConsensusChange] = field(default_factory=list)


def apply_calendar_rows(
    session: Session, rows: list[CalendarRow], *, now: datetime, precedence: Sequence[str] = ()
) -> SyncReport:
    """Store each row's date, timing, estimates and actuals on the right event.

    precedence names the calendar sources, most trusted first. Once a source has set an event's
    date, a less trusted one that disagrees is ignored (vendors often differ by a day, and taking
    whichever answered last would move the date back and forth), unless the trusted date has
    passed without a report and the other source now lists a later day.
    """
    report = SyncReport()
    _settle_known_fiscal_years(session)
    for row in rows:
        company = find_company(session, row.ticker)
        if company is None:
            report.unknown_tickers.add(row.ticker)
            continue
        learned = _learn_fiscal_year_end(company, row)
        event, created = _locate_event(session, company, row, now=now)
        learned |= _learn_fiscal_year_end_from_event(company, event, row)
        report.events_created += created
        if _update_schedule(company, event, row, now=now, report=report, precedence=precedence) and not created:
            report.events_updated += 1
        session.add(event)
        session.flush()
        if learned:
            session.add(company)
            settle_fiscal_keys(session, company)
        _record_date(session, event, row, now=now)
        changed = _record_estimates(session, event, row, now=now, report=report)
        for figure in row.actuals:
            changed |= record_reported(session, event, figure, source=row.source, reported_at=now)
        if changed:
            report.reported_events.add(saved_id(event))
    return report


def _record_date(session: Session, event: EarningsEvent, row: CalendarRow, *, now: datetime) -> None:
    """Keep the source's word on the date; the event shows "confirmed" only while a source confirms
    the very day it shows (a vendor's estimate of the same day becoming confirmed moves nothing)."""
    record_event_date(session, event, source=row.source, report_date=row.report_date, timing=row.timing,
                      confirmed=row.confirmed, now=now)
    if event.state == EventState.SCHEDULED:
        status = DateStatus.CONFIRMED if confirmed_by(session, event) else DateStatus.ESTIMATED
        if event.date_status != status:
            event.date_status, event.updated_at = status, now
            session.add(event)


def _record_estimates(session: Session, event: EarningsEvent, row: CalendarRow, *, now: datetime,
                      report: SyncReport) -> bool:
    """Store the row's estimates (history kept); note each scheduled consensus that moved. Return True
    when an estimate reached an event already reported."""
    changed = False
    for figure in row.estimates:
        before = latest_expectation(session, event, figure, source=row.source)
        stored = record_expectation(
            session, event, figure, source=row.source, as_of=now, estimates=row.estimate_count
        )
        report.expectations_stored += stored
        # a vendor's estimate that reaches an event already reported (from its release) may give
        # the verdict the release alone could not
        changed |= stored and event.state == EventState.REPORTED
        if stored and before is not None and before.value != figure.value and event.state == EventState.SCHEDULED:
            report.consensus_changes.append(
                ConsensusChange(saved_id(event), figure, before.value, row.source, row.estimate_count)
            )
    return changed


def _learn_fiscal_year_end(company: Company, row: CalendarRow) -> bool:
    """A row with both the period's end month and its fiscal quarter tells the fiscal year end."""
    if company.fiscal_year_end_month or not (row.period_month and row.fiscal_quarter):
        return False
    company.fiscal_year_end_month = fiscal_year_end_month_of(row.fiscal_quarter, row.period_month)
    return True


def _learn_fiscal_year_end_from_event(company: Company, event: EarningsEvent, row: CalendarRow) -> bool:
    """One vendor gave the event its end month (Nasdaq: "Jan/2025"), another names its fiscal
    quarter (Finnhub: Q4 2025) for the same report: together they tell the fiscal year end."""
    if company.fiscal_year_end_month or not has_period_key(event) or not row.fiscal_quarter:
        return False
    if event.report_date is None or abs((event.report_date - row.report_date).days) > 7:
        return False  # only rows that clearly speak of the same report
    company.fiscal_year_end_month = fiscal_year_end_month_of(row.fiscal_quarter, int(event.fiscal_period[5:7]))
    return True


def learn_fiscal_year_end(session: Session, company: Company, month: int) -> None:
    """Note the month the company's fiscal year ends in (a release's "fourth quarter ended January
    26, 2025" tells it), then settle the keys of its events named only by fiscal quarter."""
    company.fiscal_year_end_month = month
    session.add(company)
    session.flush()
    settle_fiscal_keys(session, company)


def settle_fiscal_keys(session: Session, company: Company) -> None:
    """Once the fiscal year end is known, give each of the issuer's events named only by its fiscal
    quarter ('FY2025Q4': an own number typed before any calendar knew the report) the key of the
    quarter's end month ('2025-01'), or fold it into the event a calendar or release already made
    for that quarter, so its expectations are compared with that report's figures."""
    month = company.fiscal_year_end_month
    if not month:
        return
    classes = share_class_ids(session, company)
    named = session.exec(
        select(EarningsEvent).where(col(EarningsEvent.company_id).in_(classes),
                                    col(EarningsEvent.fiscal_period).startswith("FY"))
        .order_by(col(EarningsEvent.id))
    ).all()
    for event in named:
        if not (event.fiscal_year and event.fiscal_quarter):
            continue
        key = period_key(*period_end_month(event.fiscal_year, event.fiscal_quarter, month))
        keyed = _event_by_key(session, classes, key)
        if keyed is None:
            event.fiscal_period = key
            event.period_label = label_for_company(company, key)[0]
            session.add(event)
        elif not fold_event(session, event, into=keyed):
            logger.debug("two events of one quarter ticker=%s: %s (dated or reported) and %s",
                         company.ticker, event.fiscal_period, key)
        session.flush()


def _settle_known_fiscal_years(session: Session) -> None:
    """Settle the companies whose fiscal year end is known but that still have an event named only
    by fiscal quarter (made before the year end was learned): one statement when there is none."""
    companies = session.exec(
        select(Company).join(EarningsEvent, col(EarningsEvent.company_id) == col(Company.id))
        .where(col(EarningsEvent.fiscal_period).startswith("FY"), col(Company.fiscal_year_end_month).is_not(None))
        .distinct()
    ).all()
    for company in companies:
        settle_fiscal_keys(session, company)


def fold_event(session: Session, event: EarningsEvent, *, into: EarningsEvent) -> bool:
    """Move an event that holds nothing but expectations (an own number's quarter, undated) into
    another event of the same report, and delete it; return False, changing nothing, otherwise."""
    if not _only_expected(session, event):
        return False
    session.exec(update(ExpectationRow).where(col(ExpectationRow.event_id) == event.id).values(event_id=into.id))
    session.delete(event)
    session.flush()
    logger.info("event %s folded into %s", event.fiscal_period, into.fiscal_period)
    return True


def _only_expected(session: Session, event: EarningsEvent) -> bool:
    """Does the event hold nothing but expectations (no date, no figure, no alert)?"""
    if event.report_date is not None or event.state != EventState.SCHEDULED or event.reported_at is not None:
        return False
    return all(
        session.exec(select(table.id).where(col(table.event_id) == event.id).limit(1)).first() is None
        for table in (EventDate, ReportedFigure, Alert, SourceArrival, GuidanceStatement)
    )


def _row_period_key(company: Company, row: CalendarRow) -> str | None:
    if row.period_year and row.period_month:
        return period_key(row.period_year, row.period_month)
    if row.fiscal_year and row.fiscal_quarter and company.fiscal_year_end_month:
        year, month = period_end_month(row.fiscal_year, row.fiscal_quarter, company.fiscal_year_end_month)
        return period_key(year, month)
    return None


def _locate_event(session: Session, company: Company, row: CalendarRow, *, now: datetime) -> tuple[EarningsEvent, bool]:
    """Find the issuer's event this row speaks of (any listed class's: GOOG and GOOGL report once), or
    make a new one for this company."""
    classes = share_class_ids(session, company)
    key = _row_period_key(company, row)
    fiscal = (row.fiscal_year, row.fiscal_quarter) if row.fiscal_year and row.fiscal_quarter else None
    found = _event_by_key(session, classes, key)
    if found is None:
        found = _event_by_fiscal_quarter(session, classes, fiscal)
        if found is not None and found.report_date is None:
            # a chat's own number made this quarter's event before any calendar dated it: the event
            # another calendar made of the same report wins (settle_fiscal_keys folds the other in)
            dated = _event_near(session, classes, row.report_date, fiscal)
            if dated is not None and (key is None or not has_period_key(dated)):
                found = dated
        if found is not None and key is not None and not has_period_key(found):
            found.fiscal_period = key  # the quarter's end month, free (no event has that key)
    if found is not None:
        return found, False
    nearby = _event_near(session, classes, row.report_date, fiscal)
    if nearby is not None and (key is None or not has_period_key(nearby)):
        if key is not None:
            nearby.fiscal_period = key
        return nearby, False
    key = key or (f"FY{fiscal[0]}Q{fiscal[1]}" if fiscal else f"date:{row.report_date.isoformat()}")
    event = EarningsEvent(
        company_id=saved_id(company),
        fiscal_period=key, period_label="", report_date=row.report_date, timing=row.timing, updated_at=now,
    )
    return event, True


def _event_by_key(session: Session, company_ids: list[int], key: str | None) -> EarningsEvent | None:
    if key is None:
        return None
    return session.exec(
        select(EarningsEvent).where(col(EarningsEvent.company_id).in_(company_ids), EarningsEvent.fiscal_period == key)
        .order_by(col(EarningsEvent.id))
    ).first()


def _event_by_fiscal_quarter(
    session: Session, company_ids: list[int], fiscal: tuple[int, int] | None
) -> EarningsEvent | None:
    """The same fiscal quarter, however far its date moved."""
    if fiscal is None:
        return None
    return session.exec(
        select(EarningsEvent).where(
            col(EarningsEvent.company_id).in_(company_ids),
            EarningsEvent.fiscal_year == fiscal[0], EarningsEvent.fiscal_quarter == fiscal[1],
        ).order_by(col(EarningsEvent.id))
    ).first() or _event_by_key(session, company_ids, f"FY{fiscal[0]}Q{fiscal[1]}")


def has_period_key(event: EarningsEvent) -> bool:
    """Is the event keyed by its fiscal quarter's end month ('2025-01'), not a date or a fiscal label?"""
    return len(event.fiscal_period) == 7 and event.fiscal_period[4] == "-"


def _event_near(
    session: Session, company_ids: list[int], day: date, fiscal: tuple[int, int] | None = None
) -> EarningsEvent | None:
    """Return the issuer's event nearest day within the window, never one of another fiscal quarter."""
    candidates = [
        e for e in session.exec(
            select(EarningsEvent).where(
                col(EarningsEvent.company_id).in_(company_ids),
                col(EarningsEvent.report_date) >= day - SAME_EVENT_WINDOW,
                col(EarningsEvent.report_date) <= day + SAME_EVENT_WINDOW,
            )
        ).all()
        if fiscal is None or not e.fiscal_quarter or (e.fiscal_year, e.fiscal_quarter) == fiscal
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda e: abs((e.report_date or day) - day))


def _update_schedule(
    company: Company, event: EarningsEvent, row: CalendarRow, *, now: datetime, report: SyncReport,
    precedence: Sequence[str],
) -> bool:
    changed = False
    if event.state == EventState.SCHEDULED:
        changed = _update_date_and_timing(event, row, now=now, report=report, precedence=precedence)
    elif row.timing is not Timing.UNKNOWN and event.timing == Timing.UNKNOWN:
        event.timing = row.timing
        changed = True
    if row.fiscal_year and row.fiscal_quarter and not event.fiscal_quarter:
        event.fiscal_year, event.fiscal_quarter = row.fiscal_year, row.fiscal_quarter
        changed = True
    label = _label(company, event, row)
    if label != event.period_label:
        event.period_label = label
        changed = True
    if not event.date_status:
        event.date_status = DateStatus.ESTIMATED
    if changed:
        event.updated_at = now
    return changed


def _update_date_and_timing(
    event: EarningsEvent, row: CalendarRow, *, now: datetime, report: SyncReport, precedence: Sequence[str]
) -> bool:
    old_date, old_timing = event.report_date, _timing(event.timing)
    if not _may_reschedule(event, row, today=new_york_date(now), precedence=precedence):
        if old_timing is Timing.UNKNOWN and row.timing is not Timing.UNKNOWN and old_date == row.report_date:
            event.timing = row.timing  # a less trusted source may still fill in an unknown time of day
            return True
        if old_date != row.report_date:
            logger.debug("calendar sources disagree event=%s kept=%s:%s ignored=%s:%s",
                         event.id, event.date_source, old_date, row.source, row.report_date)
        return False
    new_timing = row.timing if row.timing is not Timing.UNKNOWN else old_timing
    if old_date != row.report_date and row.timing is Timing.UNKNOWN:
        new_timing = Timing.UNKNOWN  # the time of day was for the old date
    event.report_date, event.timing, event.date_source = row.report_date, new_timing, row.source
    moved = old_date != row.report_date
    retimed = old_timing is not Timing.UNKNOWN and new_timing is not Timing.UNKNOWN and old_timing != new_timing
    if event.id is not None and (moved or retimed):
        report.date_changes.append(
            DateChange(event.id, old_date, row.report_date, old_timing, new_timing, row.source)
        )
    return moved or new_timing != old_timing


def _may_reschedule(event: EarningsEvent, row: CalendarRow, *, today: date, precedence: Sequence[str]) -> bool:
    """May this row set the event's date and timing? A date a source confirms outranks estimates."""
    if not event.date_source or row.source == event.date_source:
        return True
    if event.date_source.startswith("release:") and event.report_date is not None and event.report_date >= today:
        return False  # the company's own announcement (a wire or IR feed) outranks every calendar
    confirmed = event.date_status == DateStatus.CONFIRMED
    if row.confirmed != confirmed and (event.report_date is None or event.report_date >= today):
        return row.confirmed
    rank = {name: position for position, name in enumerate(precedence)}
    if rank.get(row.source, len(rank)) < rank.get(event.date_source, len(rank)):
        return True
    if event.report_date is None or event.report_date >= today:
        return False
    return row.report_date > event.report_date  # the date it had has passed unreported


def _timing(value: str) -> Timing:
    return Timing(value) if value in Timing._value2member_map_ else Timing.UNKNOWN


def _label(company: Company, event: EarningsEvent, row: CalendarRow) -> str:
    if company.fiscal_year_end_month and has_period_key(event):
        label, fiscal_year, quarter = label_for_company(company, event.fiscal_period)
        event.fiscal_year, event.fiscal_quarter = fiscal_year, quarter
        return label
    if event.fiscal_year and event.fiscal_quarter:
        return f"Q{event.fiscal_quarter} FY{event.fiscal_year}"
    if has_period_key(event):
        return period_label(event.fiscal_period)
    return f"report of {row.report_date:%b %d, %Y}"


def label_for_company(company: Company, key: str) -> tuple[str, int | None, int | None]:
    """Return (label, fiscal year, fiscal quarter) for a period key, using the fiscal year end."""
    if company.fiscal_year_end_month and len(key) == 7:
        year, month = (int(p) for p in key.split("-"))
        quarter = fiscal_quarter_of(month, company.fiscal_year_end_month)
        fiscal_year = fiscal_year_of(year, month, company.fiscal_year_end_month)
        return period_label(key, fiscal_year, quarter, company.fiscal_year_end_month), fiscal_year, quarter
    return period_label(key), None, None
