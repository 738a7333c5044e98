"""The moment of a report and how a chat reads it: in the chat's zone, the exchange time beside it.

A report's expected moment is its exact time when a source gives one; otherwise 08:00 ET before the
open, 16:05 ET after the close and 12:00 ET during market hours; with unknown timing only the New
York date is known. Every time is a timezone-aware datetime; naive ones never enter here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.domain.market_time import NEW_YORK, TIMING_LABELS, Timing, as_utc, market_closed

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


def reads_as_exchange(zone: ZoneInfo, moment: datetime | None = None) -> bool:
    """Does the chat's clock read as New York's (at moment, when given)? Then the time is shown once,
    in ET: New York itself, or a zone such as America/Toronto on the same offset that day."""
    if is_exchange_zone(zone) or moment is None:
        return is_exchange_zone(zone)
    return as_utc(moment).astimezone(zone).utcoffset() == as_utc(moment).astimezone(NEW_YORK).utcoffset()


def closed_note(day: date) -> str | None:
    """Return "market closed" on a weekend, "market closed: Thanksgiving Day" on an NYSE holiday."""
    reason = market_closed(day)
    if reason is None:
        return None
    return "market closed" if reason == "weekend" else f"market closed: {reason}"


def describe_moment(report: ReportMoment, zone: ZoneInfo, *, year: bool = False, note_closed: bool = False) -> str:
    """How the chat reads when a report comes.

    New York chats: "Wed Feb 26, after the close" ("Wed Feb 26, 16:20 ET, after the close" with an
    exact time). Elsewhere, the local moment first and the exchange's beside it:
    "Thu Feb 27, 05:20 your time (Wed Feb 26, 16:20 ET, after the close)"; an estimated time is
    marked "~". Unknown timing: only the date, "Wed Feb 26, time not announced". With note_closed,
    a report on a day the exchange is closed says so: "Sat Feb 28 (market closed), time not announced".
    """
    day_format = "%a %b %d, %Y" if year else "%a %b %d"
    exchange_day = f"{report.report_date:{day_format}}"
    note = closed_note(report.report_date) if note_closed else None
    label = TIMING_LABELS[report.timing]
    if report.moment is None or reads_as_exchange(zone, report.moment):
        head = f"{exchange_day} ({note})" if note else exchange_day
        return _exchange_text(report, head, label)
    exchange_text = _exchange_text(report, f"{exchange_day}, {note}" if note else exchange_day, label)
    local = report.moment.astimezone(zone)
    approx = "" if report.exact else "~"
    return f"{local:{day_format}}, {approx}{local:%H:%M} your time ({exchange_text})"


def _exchange_text(report: ReportMoment, day: str, label: str) -> str:
    """The report as New York reads it: the day, the exact time in ET if known, the timing."""
    if report.moment is None:
        return f"{day}, {label}"
    text = f"{day}, {report.moment.astimezone(NEW_YORK):%H:%M} ET" if report.exact else day
    return f"{text}, {label}" if report.timing is not Timing.UNKNOWN else text


def describe_instant(moment: datetime, zone: ZoneInfo) -> str:
    """A past or present instant (a filing accepted, a date changed) in the chat's zone:
    "Thu Feb 27, 05:20 your time (Wed 16:20 ET)", or "Wed Feb 26, 16:20 ET" in New York."""
    exchange = as_utc(moment).astimezone(NEW_YORK)
    if reads_as_exchange(zone, moment):
        return f"{exchange:%a %b %d, %H:%M} ET"
    local = as_utc(moment).astimezone(zone)
    return f"{local:%a %b %d, %H:%M} your time ({exchange:%a %H:%M} ET)"


def describe_time(moment: datetime, zone: ZoneInfo, exchange_format: str = "%b %d %H:%M") -> str:
    """An instant where a line keeps its own New York form ("Feb 26 16:21 ET", with exchange_format)
    for chats on New York's clock; elsewhere describe_instant's "Thu Feb 27, 05:21 your time (Wed 16:21 ET)"."""
    if reads_as_exchange(zone, moment):
        return f"{as_utc(moment).astimezone(NEW_YORK):{exchange_format}} ET"
    return describe_instant(moment, zone)
