"""Each source's word on an event's date: the day, time of day, whether it is confirmed, as of when.

One row per event and source (the newest word replaces the older one); `as_of` is when the source
first said what the row holds, so a date repeated by every poll keeps the moment it was first heard.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.store.tables import DateStatus, EarningsEvent, EventDate, saved_id


def record_event_date(
    session: Session, event: EarningsEvent, *, source: str, report_date: date, timing: str, confirmed: bool,
    now: datetime, report_time: datetime | None = None,
) -> bool:
    """Store what source says of the event's date; return True when it said something new."""
    status = DateStatus.CONFIRMED if confirmed else DateStatus.ESTIMATED
    row = session.exec(
        select(EventDate).where(EventDate.event_id == event.id, EventDate.source == source)
    ).first()
    said = (report_date, timing, str(status), report_time)
    if row is not None and (row.report_date, row.timing, row.date_status, row.report_time) == said:
        return False
    if row is None:
        row = EventDate(event_id=saved_id(event), source=source, report_date=report_date, as_of=now)
    row.report_date, row.timing, row.date_status, row.report_time, row.as_of = (
        report_date, timing, status, report_time, now
    )
    session.add(row)
    session.flush()
    return True


def event_dates(session: Session, event_id: int) -> list[EventDate]:
    """Return every source's word on the event's date, oldest first."""
    return list(session.exec(
        select(EventDate).where(EventDate.event_id == event_id).order_by(col(EventDate.as_of), col(EventDate.id))
    ).all())


def confirmed_by(session: Session, event: EarningsEvent) -> str | None:
    """Return a source that confirms the day the event shows, or None (the day is an estimate)."""
    if event.report_date is None or event.id is None:
        return None
    return next(
        (d.source for d in event_dates(session, event.id)
         if d.date_status == DateStatus.CONFIRMED and d.report_date == event.report_date),
        None,
    )
