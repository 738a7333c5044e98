"""The moment of a report and how a chat reads it: in the chat's zone, the exchange time beside it.

A report's expected moment is its exact time when a source gives one; otherwise 08:00 ET before the
open, 16:05 ET after the close and 12:00 ET during market hours; with unknown timing only the New
York date is known. Every time is a timezone-aware datetime; naive ones never enter here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.domain.market_time import NEW_YORK, TIMING_LABELS, Timing, as_utc

DEFAULT_ZONE = "America/New_York"
ESTIMATED_TIMES = {Timing.BMO: time(8, 0), Timing.AMC: time(16, 5), Timing.DMH: time(12, 0)}


@dataclass(frozen=True)
class ReportMoment:
    """When a report is expected: the New York date always, the moment when timing or a source tells."""

    report_date: date  # the exchange's date
    timing: Timing
    moment: datetime | None  # aware; None when only the date is known
    exact: bool  # a source gave the time; False: estimated from the timing

    @classmethod
    def of(cls, report_date: date, timing: str | Timing, exact_time: datetime | None = None) -> ReportMoment:
        timing = Timing(timing) if timing in Timing._value2member_map_ else Timing.UNKNOWN
        if exact_time is not None:
            return cls(report_date, timing, as_utc(exact_time), exact=True)
        clock = ESTIMATED_TIMES.get(timing)
        moment = datetime.combine(report_date, clock, NEW_YORK) if clock is not None else None
        return cls(report_date, timing, moment, exact=False)

    def local_date(self, zone: ZoneInfo) -> date:
        """The report's date in the chat's zone (the New York date when only the date is known)."""
        return self.moment.astimezone(zone).date() if self.moment is not None else self.report_date


def zone_of(name: str | None) -> ZoneInfo:
    """The chat's zone; an unknown or empty name reads as the default (New York)."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (KeyError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def is_exchange_zone(zone: ZoneInfo) -> bool:
    return zone.key == NEW_YORK.key


def describe_moment(report: ReportMoment, zone: ZoneInfo, *, year: bool = False) -> str:
    """How the chat reads when a report comes.

    New York chats: "Wed Feb 26, after the close" ("Wed Feb 26, 16:20 ET, after the close" with an
    exact time). Elsewhere, the local moment first and the exchange's beside it:
    "Thu Feb 27, 05:20 your time (Wed Feb 26, 16:20 ET, after the close)"; an estimated time is
    marked "~". Unknown timing: only the date, "Wed Feb 26, time not announced".
    """
    day_format = "%a %b %d, %Y" if year else "%a %b %d"
    exchange_day = f"{report.report_date:{day_format}}"
    label = TIMING_LABELS[report.timing]
    if report.moment is None:
        return f"{exchange_day}, {label}"
    exchange = report.moment.astimezone(NEW_YORK)
    exchange_text = f"{exchange_day}, {exchange:%H:%M} ET" if report.exact else exchange_day
    if report.timing is not Timing.UNKNOWN:
        exchange_text += f", {label}"
    if is_exchange_zone(zone):
        return exchange_text
    local = report.moment.astimezone(zone)
    approx = "" if report.exact else "~"
    return f"{local:{day_format}}, {approx}{local:%H:%M} your time ({exchange_text})"


def describe_instant(moment: datetime, zone: ZoneInfo) -> str:
    """A past or present instant (a filing accepted, a date changed) in the chat's zone:
    "Thu Feb 27, 05:20 your time (Wed 16:20 ET)", or "Wed Feb 26, 16:20 ET" in New York."""
    exchange = as_utc(moment).astimezone(NEW_YORK)
    if is_exchange_zone(zone):
        return f"{exchange:%a %b %d, %H:%M} ET"
    local = as_utc(moment).astimezone(zone)
    return f"{local:%a %b %d, %H:%M} your time ({exchange:%a %H:%M} ET)"
