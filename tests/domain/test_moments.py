"""A report's moment and how each chat reads it, across both 2026 daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.domain.market_time import Timing
from bot.domain.moments import ReportMoment, describe_instant, describe_moment, zone_of

NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_estimated_moments_follow_the_timing_in_new_york_time() -> None:
    day = date(2026, 2, 25)
    assert ReportMoment.of(day, "amc").moment == datetime(2026, 2, 25, 21, 5, tzinfo=UTC)
    assert ReportMoment.of(day, "bmo").moment == datetime(2026, 2, 25, 13, 0, tzinfo=UTC)
    assert ReportMoment.of(day, "dmh").moment == datetime(2026, 2, 25, 17, 0, tzinfo=UTC)
    unknown = ReportMoment.of(day, "unknown")
    assert unknown.moment is None and unknown.local_date(SHANGHAI) == day
    assert ReportMoment.of(day, "garbage").timing is Timing.UNKNOWN


def test_the_clock_moves_with_daylight_saving_in_march_and_november() -> None:
    # Monday 2026-03-09 is the first weekday of EDT (UTC-4); Monday 2026-11-02 the first of EST (UTC-5).
    assert ReportMoment.of(date(2026, 3, 9), "amc").moment == datetime(2026, 3, 9, 20, 5, tzinfo=UTC)
    assert ReportMoment.of(date(2026, 3, 6), "amc").moment == datetime(2026, 3, 6, 21, 5, tzinfo=UTC)
    assert ReportMoment.of(date(2026, 11, 2), "bmo").moment == datetime(2026, 11, 2, 13, 0, tzinfo=UTC)
    assert ReportMoment.of(date(2026, 10, 30), "bmo").moment == datetime(2026, 10, 30, 12, 0, tzinfo=UTC)


def test_an_exact_time_wins_over_the_timing() -> None:
    exact = datetime(2026, 2, 25, 21, 20, tzinfo=UTC)
    report = ReportMoment.of(date(2026, 2, 25), "amc", exact)
    assert report.moment == exact and report.exact


def test_after_the_close_in_new_york_is_the_next_morning_in_shanghai() -> None:
    report = ReportMoment.of(date(2026, 2, 25), "amc", datetime(2026, 2, 25, 21, 20, tzinfo=UTC))
    assert report.local_date(SHANGHAI) == date(2026, 2, 26)
    assert describe_moment(report, SHANGHAI) == "Thu Feb 26, 05:20 your time (Wed Feb 25, 16:20 ET, after the close)"
    assert describe_moment(report, NEW_YORK) == "Wed Feb 25, 16:20 ET, after the close"


def test_estimated_times_are_marked_and_unknown_timing_shows_only_the_date() -> None:
    estimated = ReportMoment.of(date(2026, 2, 25), "amc")
    assert describe_moment(estimated, SHANGHAI) == "Thu Feb 26, ~05:05 your time (Wed Feb 25, after the close)"
    assert describe_moment(estimated, NEW_YORK, year=True) == "Wed Feb 25, 2026, after the close"
    unknown = ReportMoment.of(date(2026, 2, 28), "unknown")  # a Saturday report is allowed
    assert describe_moment(unknown, SHANGHAI) == "Sat Feb 28, time not announced"


def test_instants_and_bad_zone_names() -> None:
    filed = datetime(2026, 2, 25, 21, 20, tzinfo=UTC)
    assert describe_instant(filed, NEW_YORK) == "Wed Feb 25, 16:20 ET"
    assert describe_instant(filed, SHANGHAI) == "Thu Feb 26, 05:20 your time (Wed 16:20 ET)"
    assert zone_of("Mars/Olympus").key == "America/New_York" and zone_of(None).key == "America/New_York"
    assert zone_of("Asia/Shanghai") == SHANGHAI


TORONTO = ZoneInfo("America/Toronto")
TOKYO = ZoneInfo("Asia/Tokyo")


def test_a_zone_on_new_yorks_clock_reads_as_new_york() -> None:
    report = ReportMoment.of(date(2026, 2, 25), "amc", datetime(2026, 2, 25, 21, 20, tzinfo=UTC))
    assert describe_moment(report, TORONTO) == describe_moment(report, NEW_YORK)
    assert describe_instant(datetime(2026, 2, 25, 21, 20, tzinfo=UTC), TORONTO) == "Wed Feb 25, 16:20 ET"


def test_the_exchange_time_is_new_york_across_both_2026_changes_seen_from_tokyo() -> None:
    # Tokyo has no daylight saving: the same 16:05 ET is 06:05 before March 8 and 05:05 after it.
    before = ReportMoment.of(date(2026, 3, 6), "amc")
    after = ReportMoment.of(date(2026, 3, 9), "amc")
    assert describe_moment(before, TOKYO) == "Sat Mar 07, ~06:05 your time (Fri Mar 06, after the close)"
    assert describe_moment(after, TOKYO) == "Tue Mar 10, ~05:05 your time (Mon Mar 09, after the close)"
    # November 1: back to EST, 22:00 ET is 12:00 the next day in Tokyo again
    assert describe_instant(datetime(2026, 10, 31, 2, 0, tzinfo=UTC), TOKYO) == "Sat Oct 31, 11:00 your time (Fri 22:00 ET)"
    assert describe_instant(datetime(2026, 11, 3, 3, 0, tzinfo=UTC), TOKYO) == "Tue Nov 03, 12:00 your time (Mon 22:00 ET)"


def test_a_report_on_a_closed_day_says_so_when_asked() -> None:
    saturday = ReportMoment.of(date(2026, 2, 28), "unknown")
    assert describe_moment(saturday, NEW_YORK, note_closed=True) == "Sat Feb 28 (market closed), time not announced"
    thanksgiving = ReportMoment.of(date(2026, 11, 26), "amc")
    assert describe_moment(thanksgiving, NEW_YORK, note_closed=True) == (
        "Thu Nov 26 (market closed: Thanksgiving Day), after the close"
    )
    assert describe_moment(thanksgiving, SHANGHAI, note_closed=True) == (
        "Fri Nov 27, ~05:05 your time (Thu Nov 26, market closed: Thanksgiving Day, after the close)"
    )
    trading_day = ReportMoment.of(date(2026, 11, 25), "amc")
    assert describe_moment(trading_day, NEW_YORK, note_closed=True) == "Wed Nov 25, after the close"


def test_the_weeks_when_new_york_and_london_change_on_different_days() -> None:
    london = ZoneInfo("Europe/London")
    # New York moves on March 8, London on March 29: for three weeks the gap is 4 hours, not 5.
    assert describe_moment(ReportMoment.of(date(2026, 3, 6), "amc"), london) == (
        "Fri Mar 06, ~21:05 your time (Fri Mar 06, after the close)"
    )
    assert describe_moment(ReportMoment.of(date(2026, 3, 10), "amc"), london) == (
        "Tue Mar 10, ~20:05 your time (Tue Mar 10, after the close)"
    )
    assert describe_moment(ReportMoment.of(date(2026, 3, 30), "amc"), london) == (
        "Mon Mar 30, ~21:05 your time (Mon Mar 30, after the close)"
    )
    # London moves back on October 25, New York on November 1
    assert describe_instant(datetime(2026, 10, 27, 20, 0, tzinfo=UTC), london) == "Tue Oct 27, 20:00 your time (Tue 16:00 ET)"
    assert describe_instant(datetime(2026, 11, 3, 21, 0, tzinfo=UTC), london) == "Tue Nov 03, 21:00 your time (Tue 16:00 ET)"


def test_a_time_keeps_its_own_new_york_form_and_reads_locally_elsewhere() -> None:
    from bot.domain.moments import describe_time

    filed = datetime(2026, 2, 25, 21, 20, 5, tzinfo=UTC)
    assert describe_time(filed, NEW_YORK) == "Feb 25 16:20 ET"
    assert describe_time(filed, TORONTO, "%b %d %H:%M:%S") == "Feb 25 16:20:05 ET"
    assert describe_time(filed, SHANGHAI) == "Thu Feb 26, 05:20 your time (Wed 16:20 ET)"
    assert describe_time(filed.replace(tzinfo=None), NEW_YORK) == "Feb 25 16:20 ET"  # naive is UTC
