"""Write expectations and reported figures: history kept, revisions recorded, nothing overwritten blindly."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.domain.figures import Figure
from bot.domain.market_time import as_utc
from bot.store.tables import EarningsEvent, EventState, ExpectationRow, ReportedFigure, saved_id

# How long after the report a source's first value still counts as what it expected (see below).
LATE_FIRST_VALUE = timedelta(hours=1)


def record_expectation(
    session: Session, event: EarningsEvent, figure: Figure, *, source: str, as_of: datetime,
    estimates: int | None = None,
) -> bool:
    """Store an expected value unless it repeats the latest one; return True when stored.

    Expectations of a reported event are frozen: a source that already gave a value can't move the
    bar. A source heard of for the first time after the report (the event came from the release
    before any calendar knew it) may still give its value; whether it counts is evaluate's rule
    (`latest_expectations`).
    """
    latest = latest_expectation(session, event, figure, source=source)
    if latest is not None and latest.value == figure.value and latest.estimates == estimates:
        return False
    if latest is not None and event.state != EventState.SCHEDULED:
        return False
    session.add(
        ExpectationRow(
            event_id=saved_id(event),
            metric=figure.metric, basis=figure.basis, unit=figure.unit, currency=figure.currency,
            value=figure.value, source=source, estimates=estimates, as_of=as_of,
        )
    )
    return True


def latest_expectation(session: Session, event: EarningsEvent, figure: Figure, *, source: str) -> ExpectationRow | None:
    """Return the source's newest stored value of this figure (same metric, basis, unit, currency)."""
    return session.exec(
        select(ExpectationRow)
        .where(
            ExpectationRow.event_id == event.id,
            ExpectationRow.metric == figure.metric,
            ExpectationRow.basis == figure.basis,
            ExpectationRow.unit == figure.unit,
            ExpectationRow.currency == figure.currency,
            ExpectationRow.source == source,
        )
        .order_by(col(ExpectationRow.as_of).desc(), col(ExpectationRow.id).desc())
    ).first()


def record_reported(
    session: Session, event: EarningsEvent, figure: Figure, *, source: str, reported_at: datetime,
    accession: str | None = None,
) -> bool:
    """Store a reported value; a changed value is a revision. Return True when anything changed."""
    row = session.exec(
        select(ReportedFigure).where(
            ReportedFigure.event_id == event.id,
            ReportedFigure.metric == figure.metric,
            ReportedFigure.basis == figure.basis,
            ReportedFigure.unit == figure.unit,
            ReportedFigure.currency == figure.currency,
            ReportedFigure.source == source,
        )
    ).first()
    if row is None:
        session.add(
            ReportedFigure(
                event_id=saved_id(event),
                metric=figure.metric, basis=figure.basis, unit=figure.unit, currency=figure.currency,
                value=figure.value, source=source, reported_at=reported_at, accession=accession,
            )
        )
        return True
    if row.value == figure.value:
        return False
    row.previous_value = row.value
    row.value = figure.value
    row.revision += 1
    row.accession = accession or row.accession
    session.add(row)
    return True


def latest_expectations(session: Session, event_id: int, *, until: datetime | None = None) -> list[ExpectationRow]:
    """Return the newest expectation per (metric, basis, unit, currency, source), as of `until`.

    The bar is what each source expected before the company reported: its newest value recorded
    by then. A value first seen at the report moment itself counts; one recorded then that revises
    an earlier value does not. A source first heard of shortly after the report (a vendor's row
    that brings estimate and actual together, or the calendar row of an event the release created)
    counts with that first value, if it came within LATE_FIRST_VALUE of the report: vendors list
    the quarter's consensus beside its actual, and roll to the next quarter only later.
    """
    rows = session.exec(
        select(ExpectationRow).where(ExpectationRow.event_id == event_id)
        .order_by(col(ExpectationRow.as_of), col(ExpectationRow.id))
    ).all()
    if until is None:
        newest: dict[tuple[str, str, str, str | None, str], ExpectationRow] = {}
        for row in rows:
            newest[_key(row)] = row
        return list(newest.values())
    report = as_utc(until)
    before: dict[tuple[str, str, str, str | None, str], ExpectationRow] = {}
    late: dict[tuple[str, str, str, str | None, str], ExpectationRow] = {}
    for row in rows:
        key, seen = _key(row), as_utc(row.as_of)
        if seen <= report:
            if key in before and seen >= report:
                continue
            before[key] = row
        elif key not in late and seen <= report + LATE_FIRST_VALUE:
            late[key] = row
    return list(before.values()) + [row for key, row in late.items() if key not in before]


def _key(row: ExpectationRow) -> tuple[str, str, str, str | None, str]:
    return (row.metric, row.basis, row.unit, row.currency, row.source)
