"""A company's own date announcement ("to announce fourth-quarter results on February 26 at 4:20 p.m.
ET"), read from a newswire or IR feed: the most trusted word on its report's day and time.

The event takes the day, the time of day and the exact moment; its date is confirmed, its source
is "release:<feed name>", which no calendar may move while the day is ahead (bot.engine.sync); a
move of a watched report is told as a date change.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.domain.announced_dates import AnnouncedDate
from bot.domain.market_time import Timing, as_utc
from bot.engine.date_changes import alert_date_changes
from bot.engine.ports import Outbox
from bot.engine.race import RELEASE_PREFIX
from bot.engine.sync import DateChange
from bot.store.event_dates import record_event_date
from bot.store.tables import DateStatus, EarningsEvent, EventState


def apply_announced_date(
    session: Session, event_id: int, source: str, announced: AnnouncedDate, *, outbox: Outbox, now: datetime,
) -> int:
    """Confirm the event's day and time from the announcement; return the date-change alerts written."""
    event = session.get(EarningsEvent, event_id)
    if event is None:
        return 0
    timing = announced.timing
    moment = as_utc(announced.report_at) if announced.report_at else None
    key = (RELEASE_PREFIX + source)[:32]
    if not record_event_date(session, event, source=key, report_date=announced.report_date, timing=timing,
                             confirmed=True, now=now, report_time=moment) or event.state != EventState.SCHEDULED:
        return 0
    old_date, old_timing = event.report_date, _timing(event.timing)
    if timing is Timing.UNKNOWN and old_date == announced.report_date:
        timing = old_timing  # the announcement names the day only: the time of day known stays
    event.report_date, event.timing, event.report_time = announced.report_date, timing, moment
    event.date_status, event.date_source, event.updated_at = DateStatus.CONFIRMED, key, now
    session.add(event)
    session.flush()
    if old_date is None or (old_date, old_timing) == (announced.report_date, timing):
        return 0
    change = DateChange(event_id, old_date, announced.report_date, old_timing, timing, source)
    return alert_date_changes(session, [change], outbox=outbox, now=now)


def _timing(value: str) -> Timing:
    return Timing(value) if value in Timing._value2member_map_ else Timing.UNKNOWN
