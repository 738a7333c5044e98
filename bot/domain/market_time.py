"""Market time: exchange clock in America/New_York, report timing, UTC helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cache
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



def market_holiday(day: date) -> str | None:
    """Return the name of the NYSE holiday on day ("Thanksgiving Day"), None on any other day."""
    return _nyse_holidays(day.year).get(day)


def market_closed(day: date) -> str | None:
    """Why the exchange is closed on day: its holiday's name, "weekend", or None on a trading day."""
    holiday = market_holiday(day)
    if holiday is not None:
        return holiday
    return "weekend" if day.weekday() >= 5 else None


@cache
def _nyse_holidays(year: int) -> dict[date, str]:
    """The NYSE's holidays of one year from the maintained `holidays` calendar, as a plain dict.

    Imported on first use: the library takes about a second to load, which start-up and every
    command-line run would otherwise pay."""
    import holidays

    return dict(holidays.financial_holidays("NYSE", years=year).items())
