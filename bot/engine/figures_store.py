"""Write expectations and reported figures: history kept, revisions recorded, nothing overwritten blindly."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.domain.figures import Figure
from bot.domain.market_time import as_utc
from bot.store.tables import EarningsEvent, EventState, ExpectationRow, ReportedFigure


def record_expectation(
    session: Session, event: EarningsEvent, figure: Figure, *, source: str, as_of: datetime,
    estimates: int | None = None,
) -> bool:
    """Store an expected value unless it repeats the latest one; return True when stored.

    Expectations of a reported event are frozen: later vendor updates can't move the bar.
    """
    if event.state != EventState.SCHEDULED:
        return False
    latest = session.exec(
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
    if latest is not None and latest.value == figure.value and latest.estimates == estimates:
        return False
    session.add(
        ExpectationRow(
            event_id=event.id,  # type: ignore[arg-type]
            metric=figure.metric, basis=figure.basis, unit=figure.unit, currency=figure.currency,
            value=figure.value, source=source, estimates=estimates, as_of=as_of,
        )
    )
    return True


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
                event_id=event.id,  # type: ignore[arg-type]
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

    A value first seen at the report moment itself (a vendor's row that brings estimate and actual
    together) counts; one recorded then that revises an earlier value does not: the bar is what
    the source expected before the company reported.
    """
    query = select(ExpectationRow).where(ExpectationRow.event_id == event_id)
    if until is not None:
        query = query.where(col(ExpectationRow.as_of) <= until)
    rows = session.exec(query.order_by(col(ExpectationRow.as_of), col(ExpectationRow.id))).all()
    newest: dict[tuple[str, str, str, str | None, str], ExpectationRow] = {}
    for row in rows:
        key = (row.metric, row.basis, row.unit, row.currency, row.source)
        if until is not None and key in newest and as_utc(row.as_of) >= as_utc(until):
            continue
        newest[key] = row
    return list(newest.values())
