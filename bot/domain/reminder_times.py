"""When reminders, the weekly preview and quiet hours fall, in a chat's own zone. Pure: time is an argument.

A report expected at a moment M whose date in the chat's zone is D gets a Tomorrow reminder at 18:00
local on D - 1, and a Today reminder at 08:00 local on D when M is later than 09:00 local (a report
already out by breakfast needs none). With unknown timing only the New York date is known: a
Tomorrow reminder at 18:00 local the day before it, no Today reminder. The preview is due Sunday
18:00 local. A reminder more than 30 minutes late is not sent; a preview is sent until 23:00.
See docs/decisions/009-reminder-moments.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.market_time import NEW_YORK, as_utc
from bot.domain.moments import ReportMoment

TOMORROW_AT = time(18, 0)
TODAY_AT = time(8, 0)
TODAY_ONLY_AFTER = time(9, 0)  # a Today reminder only for a report later than this, local
PREVIEW_AT = time(18, 0)  # on Sunday
PREVIEW_UNTIL = time(23, 0)  # a preview not sent by then (the bot was down) is not sent
LATE_LIMIT = timedelta(minutes=30)  # a reminder later than this after its time is dropped
SUNDAY = 6


class ReminderKind(StrEnum):
    TOMORROW = "tomorrow"
    TODAY = "today"


@dataclass(frozen=True)
class ReminderSlot:
    """One reminder of one report for one zone: what it says, for which local date, and when."""

    kind: ReminderKind
    report_day: date  # the report's date in the chat's zone (New York's with unknown timing)
    due: datetime  # aware, in the chat's zone


def local_at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """Return the aware moment of this wall-clock time on this date in the zone.

    A time that a daylight-saving change skips reads as the same wall time before the change
    (fold 0), which lands just after it; a time that repeats is its first occurrence.
    """
    return datetime.combine(day, clock, zone)


def reminder_slots(report: ReportMoment, zone: ZoneInfo) -> list[ReminderSlot]:
    """Return the Tomorrow and Today reminders of a report for a chat in this zone."""
    day = report.local_date(zone)
    slots = [ReminderSlot(ReminderKind.TOMORROW, day, local_at(day - timedelta(days=1), TOMORROW_AT, zone))]
    if report.moment is not None and as_utc(report.moment) > as_utc(local_at(day, TODAY_ONLY_AFTER, zone)):
        slots.append(ReminderSlot(ReminderKind.TODAY, day, local_at(day, TODAY_AT, zone)))
    return slots


def is_due(due: datetime, now: datetime, *, late_limit: timedelta = LATE_LIMIT) -> bool:
    """True from the start of the due minute until late_limit after it."""
    start = as_utc(due).replace(second=0, microsecond=0)
    return start <= as_utc(now) < start + late_limit


def reminder_expiry(report: ReportMoment) -> datetime:
    """Past this moment a reminder says nothing useful: the report's moment, or with unknown
    timing the start of its New York date (the report may come at any hour of it)."""
    if report.moment is not None:
        return as_utc(report.moment)
    return as_utc(datetime.combine(report.report_date, time(0, 0), NEW_YORK))


def preview_week(now: datetime, zone: ZoneInfo) -> date | None:
    """Return the Monday of the coming local week while the preview is due (Sunday from 18:00
    until 23:00 local), otherwise None."""
    local = as_utc(now).astimezone(zone)
    if local.weekday() != SUNDAY or not PREVIEW_AT <= local.time() < PREVIEW_UNTIL:
        return None
    return local.date() + timedelta(days=1)


# -- quiet hours ----------------------------------------------------------------------------------

_SPAN = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)\s*[-–]\s*([01]?\d|2[0-3]):([0-5]\d)$")


def parse_span(text: str) -> tuple[str, str] | None:
    """Read '22:00-07:00' (or '9:30-12:00') as ('22:00', '07:00'); None when it is not one, or
    when both ends are the same time."""
    match = _SPAN.match(text.strip())
    if match is None:
        return None
    start = f"{int(match[1]):02d}:{match[2]}"
    end = f"{int(match[3]):02d}:{match[4]}"
    return None if start == end else (start, end)


def parse_clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime, zone: ZoneInfo, start: str, end: str) -> datetime | None:
    """Return when the quiet hours around now end (UTC), or None when now is not in them.

    start and end are local wall-clock times ('22:00', '07:00'); a span that passes midnight
    ends on the next day.
    """
    local = as_utc(now).astimezone(zone)
    begin, finish, clock = parse_clock(start), parse_clock(end), local.time()
    if begin < finish:
        inside, end_day = begin <= clock < finish, local.date()
    else:
        inside = clock >= begin or clock < finish
        end_day = local.date() if clock < finish else local.date() + timedelta(days=1)
    return as_utc(local_at(end_day, finish, zone)) if inside else None
