"""Market time: exchange clock in America/New_York, report timing, UTC helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")


class Timing(StrEnum):
    """When in the day a report comes: before open, after close, during market hours."""

    BMO = "bmo"
    AMC = "amc"
    DMH = "dmh"
    UNKNOWN = "unknown"


TIMING_LABELS = {
    Timing.BMO: "before the open",
    Timing.AMC: "after the close",
    Timing.DMH: "during market hours",
    Timing.UNKNOWN: "time not announced",
}


def utc_now() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Return moment in UTC; a naive datetime is taken to be UTC already (as SQLite returns it)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def new_york_date(moment: datetime) -> date:
    """Return the exchange's calendar date at moment."""
    return as_utc(moment).astimezone(NEW_YORK).date()

