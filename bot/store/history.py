"""Past results and guidance: write once per (quarter, figure, source), read for growth and streaks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from bot.domain.figures import Figure
from bot.store.tables import GuidanceStatement, HistorySeed, ResultHistory


def record_history(
    session: Session, company_id: int, fiscal_period: str, figure: Figure, *, source: str, now: datetime,
    estimate: Decimal | None = None,
) -> bool:
    """Store (or update) one past quarter's figure from one source; return True when anything changed.

    A known estimate is never erased by a later write that has none."""
    row = session.exec(select(ResultHistory).where(
        ResultHistory.company_id == company_id, ResultHistory.fiscal_period == fiscal_period,
        ResultHistory.metric == figure.metric, ResultHistory.basis == figure.basis,
        ResultHistory.unit == figure.unit, ResultHistory.currency == figure.currency,
        ResultHistory.source == source,
    )).first()
    if row is None:
        session.add(ResultHistory(
            company_id=company_id, fiscal_period=fiscal_period, metric=figure.metric, basis=figure.basis,
            unit=figure.unit, currency=figure.currency, actual=figure.value, estimate=estimate, source=source,
            recorded_at=now,
        ))
        return True
    estimate = estimate if estimate is not None else row.estimate
    if row.actual == figure.value and row.estimate == estimate:
        return False
    row.actual, row.estimate, row.recorded_at = figure.value, estimate, now
    session.add(row)
    return True


def company_history(session: Session, company_ids: Sequence[int], metric: str) -> list[ResultHistory]:
    """Return every stored past figure of the metric for the issuer's listings, newest quarter first."""
    return list(session.exec(
        select(ResultHistory).where(col(ResultHistory.company_id).in_(list(company_ids)),
                                    ResultHistory.metric == metric)
        .order_by(col(ResultHistory.fiscal_period).desc(), col(ResultHistory.id))
    ).all())


def record_guidance(session: Session, statement: GuidanceStatement) -> bool:
    """Store a guidance statement once per (report, metric, period, source); a changed value updates it."""
    row = session.exec(select(GuidanceStatement).where(
        GuidanceStatement.event_id == statement.event_id, GuidanceStatement.metric == statement.metric,
        GuidanceStatement.span == statement.span, GuidanceStatement.period == statement.period,
        GuidanceStatement.source == statement.source,
    )).first()
    if row is None:
        session.add(statement)
        return True
    if (row.value, row.low, row.high, row.currency) == (statement.value, statement.low, statement.high,
                                                        statement.currency):
        return False
    row.value, row.low, row.high, row.currency = statement.value, statement.low, statement.high, statement.currency
    session.add(row)
    return True


def event_guidance(session: Session, event_id: int) -> list[GuidanceStatement]:
    """Return the guidance a report stated, one per (metric, span, period): the most trusted source's."""
    rows = session.exec(select(GuidanceStatement).where(GuidanceStatement.event_id == event_id)
                        .order_by(col(GuidanceStatement.id))).all()
    chosen: dict[tuple[str, str, str], GuidanceStatement] = {}
    for row in rows:
        key = (row.metric, row.span, row.period)
        if key not in chosen or (row.source == "sec" and chosen[key].source != "sec"):
            chosen[key] = row
    return list(chosen.values())


_SEEDED = select(HistorySeed.id).where(HistorySeed.company_id == bindparam("company_id"))


def is_seeded(session: Session, company_id: int) -> bool:
    return session.exec(_SEEDED, params={"company_id": company_id}).first() is not None


def mark_seeded(session: Session, company_id: int, now: datetime, outcome: str) -> None:
    """Note that a company's past results were read (whatever each source gave)."""
    if not is_seeded(session, company_id):
        session.add(HistorySeed(company_id=company_id, seeded_at=now, outcome=outcome[:200]))
