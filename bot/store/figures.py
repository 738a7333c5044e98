"""Write expectations and reported figures: history kept, revisions recorded, nothing overwritten blindly."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.domain.figures import Figure
from bot.domain.market_time import as_utc
from bot.store.tables import EarningsEvent, EventState, ExpectationRow, ReportedFigure, saved_id

# How long after the report a source's first value still counts as what it expected (see below).
LATE_FIRST_VALUE = timedelta(hours=1)
# A chat's own number is an expectation row whose source is "chat:<chat pk>" (decision 014): it is
# never consensus, and every reader of consensus leaves it out.
OWN_SOURCE_PREFIX = "chat:"


def own_source(chat_pk: int) -> str:
    """Return the source of a chat's own numbers: 'chat:42'."""
    return f"{OWN_SOURCE_PREFIX}{chat_pk}"


def is_own_source(source: str) -> bool:
    """Is this expectation a chat's own number rather than a vendor's consensus?"""
    return source.startswith(OWN_SOURCE_PREFIX)


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
    """Return the newest consensus per (metric, basis, unit, currency, source), as of `until`.

    Chats' own numbers are never consensus and are left out (own_expectations reads them).

    The bar is what each source expected before the company reported: its newest value recorded
    by then. A value first seen at the report moment itself counts; one recorded then that revises
    an earlier value does not. A source first heard of shortly after the report (a vendor's row
    that brings estimate and actual together, or the calendar row of an event the release created)
    counts with that first value, if it came within LATE_FIRST_VALUE of the report: vendors list
    the quarter's consensus beside its actual, and roll to the next quarter only later.
    """
    rows = session.exec(
        select(ExpectationRow).where(
            ExpectationRow.event_id == event_id, col(ExpectationRow.source).not_like(f"{OWN_SOURCE_PREFIX}%")
        )
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


def own_expectations(
    session: Session, event_id: int, *, chat_pks: list[int] | None = None, until: datetime | None = None
) -> list[ExpectationRow]:
    """Return each chat's own numbers for the event: its newest value per metric, as of `until`
    (a number set after the report is not what the chat expected)."""
    query = select(ExpectationRow).where(
        ExpectationRow.event_id == event_id, col(ExpectationRow.source).like(f"{OWN_SOURCE_PREFIX}%")
    )
    if chat_pks is not None:
        query = query.where(col(ExpectationRow.source).in_([own_source(pk) for pk in chat_pks]))
    newest: dict[tuple[str, str], ExpectationRow] = {}
    for row in session.exec(query.order_by(col(ExpectationRow.as_of), col(ExpectationRow.id))).all():
        if until is None or as_utc(row.as_of) <= as_utc(until):
            newest[(row.source, row.metric)] = row
    return list(newest.values())


def record_own_expectation(
    session: Session, event: EarningsEvent, figure: Figure, *, chat_pk: int, as_of: datetime
) -> ExpectationRow:
    """Store a chat's own number for the event's metric (a new row: history kept); return it."""
    row = ExpectationRow(
        event_id=saved_id(event), metric=figure.metric, basis=figure.basis, unit=figure.unit,
        currency=figure.currency, value=figure.value, source=own_source(chat_pk), as_of=as_of,
    )
    session.add(row)
    session.flush()
    return row


def clear_own_expectation(session: Session, event_id: int, chat_pk: int, metric: str) -> int:
    """Remove a chat's own number of one metric for the event (its history too); return rows removed."""
    rows = session.exec(select(ExpectationRow).where(
        ExpectationRow.event_id == event_id, ExpectationRow.source == own_source(chat_pk),
        ExpectationRow.metric == metric,
    )).all()
    for row in rows:
        session.delete(row)
    return len(rows)
