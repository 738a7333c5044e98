"""What /metrics reads from the tables at scrape time: alerts by kind, deliveries by state, the
429s Telegram sent, and the two latencies (counted in SQL, bucket by bucket, never row by row in
Python for deliveries: a broadcast writes one row per chat)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, case, func
from sqlalchemy import select as sa_select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlmodel import Session, col, select

from bot.domain.market_time import as_utc
from bot.store.tables import (
    Alert,
    AlertKind,
    Delivery,
    DeliveryStatus,
    EarningsEvent,
    Filing,
    FloodWait,
)

# Seconds: a result is worth the most in its first minute; a queue can take an hour.
DETECTION_BUCKETS = (1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
DELIVERY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
# The alerts that tell of a report: the first of them sent is when the report was detected.
REPORT_KINDS = (AlertKind.RESULT, AlertKind.FILING, AlertKind.ANNOUNCEMENT)


@dataclass(frozen=True)
class Histogram:
    """Cumulative bucket counts (one per upper bound, +Inf last), the sum and the count."""

    bounds: tuple[float, ...]
    cumulative: tuple[int, ...]
    total: float
    count: int


@dataclass(frozen=True)
class MetricCounts:
    alerts_by_kind: dict[str, int]
    deliveries_by_state: dict[str, int]
    flood_waits: int
    detection_latency: Histogram
    delivery_latency: Histogram


def metric_counts(session: Session) -> MetricCounts:
    """Count what the tables hold now."""
    alerts = {str(kind): 0 for kind in AlertKind}
    alerts.update(session.exec(select(Alert.kind, func.count()).group_by(Alert.kind)).all())
    deliveries = {str(status): 0 for status in DeliveryStatus}
    deliveries.update(session.exec(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    flood_waits = session.exec(select(func.count()).select_from(FloodWait)).one()
    return MetricCounts(alerts, deliveries, flood_waits, detection_latency(session), delivery_latency(session))


def delivery_latency(session: Session, bounds: Sequence[float] = DELIVERY_BUCKETS) -> Histogram:
    """Seconds from an alert's creation to each of its deliveries sent."""
    seconds = _Seconds(Alert.__table__.c.created_at, Delivery.__table__.c.sent_at)
    buckets = [func.coalesce(func.sum(case((seconds <= bound, 1), else_=0)), 0) for bound in bounds]
    row = session.execute(
        sa_select(func.count(), func.coalesce(func.sum(seconds), 0.0), *buckets)
        .select_from(Delivery).join(Alert, col(Alert.id) == Delivery.alert_id)
        .where(col(Delivery.sent_at).is_not(None))
    ).one()
    count, total, cumulative = int(row[0]), float(row[1]), [int(c) for c in row[2:]]
    return Histogram(tuple(bounds), (*cumulative, count), total, count)


def detection_latency(session: Session, bounds: Sequence[float] = DETECTION_BUCKETS) -> Histogram:
    """Seconds from a report's first appearance (the filing's acceptance or the event's reported
    time, whichever is earlier) to the first message sent about it; one observation per report."""
    rows = session.execute(
        sa_select(col(Alert.event_id), col(Alert.filing_id), col(Filing.accepted_at),
                  col(EarningsEvent.reported_at), func.min(Delivery.sent_at))
        .select_from(Alert)
        .join(Delivery, col(Delivery.alert_id) == Alert.id)
        .outerjoin(Filing, col(Filing.id) == Alert.filing_id)
        .outerjoin(EarningsEvent, col(EarningsEvent.id) == Alert.event_id)
        .where(col(Alert.kind).in_(REPORT_KINDS), col(Delivery.sent_at).is_not(None))
        .group_by(col(Alert.id), col(Alert.event_id), col(Alert.filing_id), col(Filing.accepted_at),
                  col(EarningsEvent.reported_at))
    ).all()
    reports: dict[tuple[str, int | None], tuple[datetime | None, datetime]] = {}
    for event_id, filing_id, accepted_at, reported_at, first_sent in rows:
        key = ("event", event_id) if event_id is not None else ("filing", filing_id)
        seen_before, sent_before = reports.get(key, (None, as_utc(first_sent)))
        appeared = [as_utc(t) for t in (seen_before, accepted_at, reported_at) if t is not None]
        reports[key] = (min(appeared, default=None), min(sent_before, as_utc(first_sent)))
    observed = [max((sent - seen).total_seconds(), 0.0) for seen, sent in reports.values() if seen is not None]
    return histogram(observed, bounds)


def histogram(values: Sequence[float], bounds: Sequence[float]) -> Histogram:
    """Return the cumulative histogram of values (each bucket counts values <= its bound)."""
    cumulative = tuple(sum(1 for v in values if v <= bound) for bound in bounds)
    return Histogram(tuple(bounds), (*cumulative, len(values)), float(sum(values)), len(values))


class _Seconds(FunctionElement[float]):
    """Seconds from the first timestamp to the second, on SQLite and PostgreSQL."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True

    def __init__(self, start: ColumnElement[Any], end: ColumnElement[Any]) -> None:
        super().__init__(start, end)


@compiles(_Seconds, "sqlite")
def _sqlite_seconds(element: _Seconds, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(_Seconds, "postgresql")
def _postgresql_seconds(element: _Seconds, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"
